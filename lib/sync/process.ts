import type { NativeProcess } from '../../binding.js'
import { callNativeSync } from '../errors'
import { ExecResult } from '../exec-result'
import { checkObject, toSignal } from '../validate'
import { pumpEvents, type BufferSnapshot, type ProcessEventSink } from '../process'

/** The sync facade of {@link AsyncProcess}: a detached command. */
export class Process {
  readonly #native: NativeProcess

  /** @internal Use `container.run(cmd, { detach: true })`. */
  constructor(native: NativeProcess, sink: ProcessEventSink) {
    this.#native = native
    void pumpEvents(native, sink)
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
  wait(opts: { timeout?: number } = {}): ExecResult {
    checkObject(opts, 'wait(opts)')
    return new ExecResult(callNativeSync(() => this.#native.waitSync(opts.timeout)))
  }
  read(): BufferSnapshot {
    return this.#native.read()
  }
  peek(): BufferSnapshot {
    return this.#native.peek()
  }
  /** `using p = c.run(cmd, { detach: true })` kills it at scope end if still running. */
  [Symbol.dispose](): void {
    if (this.#native.isRunning()) this.kill('KILL')
  }
}
