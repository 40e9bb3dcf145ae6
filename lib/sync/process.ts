import type { NativeProcess } from '../../binding.js'
import { TimeoutError, callNativeSync } from '../errors'
import { toBuffer } from '../convert'
import { ExecResult } from '../exec-result'
import { checkObject, toSignal } from '../validate'
import { asText, checkWait, findOutput, pumpEvents, type BufferSnapshot, type ProcessEventSink } from '../process'

/** The sync facade of {@link AsyncProcess}: a detached command. */
export class Process<T extends string | Buffer = string> {
  readonly #native: NativeProcess

  /** @internal Use `container.run(cmd, { detach: true })`. */
  constructor(native: NativeProcess, sink: ProcessEventSink) {
    this.#native = native
    void pumpEvents(native, asText(sink))
  }

  get id(): string {
    return this.#native.id
  }
  get bufferSize(): number {
    return this.#native.bufferSize
  }
  get bufferOverflow(): boolean {
    return this.#native.bufferOverflow
  }
  isRunning(): boolean {
    return this.#native.isRunning()
  }
  kill(signal: number | string = 15): void {
    const name = toSignal(signal)
    callNativeSync(() => this.#native.killSync(name))
  }
  wait(opts: { timeout?: number } = {}): ExecResult<T> {
    checkObject(opts, 'wait(opts)')
    return new ExecResult<T>(callNativeSync(() => this.#native.waitSync(opts.timeout)))
  }
  read(): BufferSnapshot<T> {
    return this.#native.read() as BufferSnapshot<T>
  }
  peek(): BufferSnapshot<T> {
    return this.#native.peek() as BufferSnapshot<T>
  }
  /** Writes to the stdin of a process started with `stdin: 'pipe'` (blocks while it does not read). */
  write(data: string | Uint8Array): void {
    const bytes = toBuffer(data)
    callNativeSync(() => this.#native.writeSync(bytes))
  }
  /** Closes its stdin (end-of-file once what was written arrived). */
  closeStdin(): void {
    this.#native.closeStdin()
  }
  /**
   * Blocks until the buffered stdout or stderr contains `pattern` (a
   * substring, or a `RegExp`: its whole match) and returns the match;
   * `TimeoutError` after `opts.timeout` seconds (default 30) or once the
   * process ended without it. Looks every 20 ms (the output arrives on a
   * background thread meanwhile).
   */
  waitForOutput(pattern: string | RegExp, opts: { timeout?: number } = {}): string {
    const timeout = checkWait(pattern, opts)
    const until = Date.now() + timeout * 1000
    const nap = new Int32Array(new SharedArrayBuffer(4))
    for (;;) {
      const running = this.#native.isRunning()
      const match = findOutput(this.#native, pattern)
      if (match !== null) return match
      if (!running) throw new TimeoutError(`the process ended without printing ${String(pattern)}`)
      if (Date.now() >= until)
        throw new TimeoutError(`the process did not print ${String(pattern)} within ${timeout} s`)
      Atomics.wait(nap, 0, 0, 20)
    }
  }
  /** Resizes the pseudo-terminal of a process started with `tty: true`. */
  resize(cols: number, rows: number): void {
    callNativeSync(() => this.#native.resizeSync(cols, rows))
  }
  /** `using p = c.run(cmd, { detach: true })` kills it at scope end if still running. */
  [Symbol.dispose](): void {
    if (this.#native.isRunning()) this.kill('KILL')
  }
}
