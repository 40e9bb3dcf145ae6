import type { NativeProcess } from '../../binding.js'
import { callNativeSync } from '../errors'
import { ExecResult } from '../exec-result'
import { checkObject, toSignal } from '../validate'
import { pumpEvents, type BufferSnapshot, type ProcessEventSink } from '../process'

/** The sync facade of {@link index!AsyncProcess}: a detached command. */
export class Process {
  readonly #native: NativeProcess

  /** @internal Use `container.run(cmd, { detach: true })`. */
  constructor(native: NativeProcess, sink: ProcessEventSink) {
    this.#native = native
    void pumpEvents(native, sink)
  }

  /** {@inheritDoc index!AsyncProcess#id} */
  get id(): string {
    return this.#native.id
  }
  /** {@inheritDoc index!AsyncProcess#bufferSize} */
  get bufferSize(): number {
    return this.#native.bufferSize
  }
  /** {@inheritDoc index!AsyncProcess#bufferOverflow} */
  get bufferOverflow(): boolean {
    return this.#native.bufferOverflow
  }
  /** {@inheritDoc index!AsyncProcess#isRunning} */
  isRunning(): boolean {
    return this.#native.isRunning()
  }
  /** {@inheritDoc index!AsyncProcess#kill} */
  kill(signal: number | string = 15): void {
    const name = toSignal(signal)
    callNativeSync(() => this.#native.killSync(name))
  }
  /** {@inheritDoc index!AsyncProcess#wait} */
  wait(opts: { timeout?: number } = {}): ExecResult {
    checkObject(opts, 'wait(opts)')
    return new ExecResult(callNativeSync(() => this.#native.waitSync(opts.timeout)))
  }
  /** {@inheritDoc index!AsyncProcess#read} */
  read(): BufferSnapshot {
    return this.#native.read()
  }
  /** {@inheritDoc index!AsyncProcess#peek} */
  peek(): BufferSnapshot {
    return this.#native.peek()
  }
  /** `using p = c.run(cmd, { detach: true })` kills it at scope end if still running. */
  [Symbol.dispose](): void {
    if (this.#native.isRunning()) this.kill('KILL')
  }
}
