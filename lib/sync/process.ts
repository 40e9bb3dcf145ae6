import type { NativeProcess } from '../../binding.js'
import { callNativeSync } from '../errors'
import { toBuffer } from '../convert'
import { ExecResult } from '../exec-result'
import { checkObject, toSignal } from '../validate'
import { asText, pumpEvents, type BufferSnapshot, type ProcessEventSink } from '../process'

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
  /** Resizes the pseudo-terminal of a process started with `tty: true`. */
  resize(cols: number, rows: number): void {
    callNativeSync(() => this.#native.resizeSync(cols, rows))
  }
  /** `using p = c.run(cmd, { detach: true })` kills it at scope end if still running. */
  [Symbol.dispose](): void {
    if (this.#native.isRunning()) this.kill('KILL')
  }
}
