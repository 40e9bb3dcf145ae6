import type { NativeSession } from '../../binding.js'
import { SessionClosed, callNativeSync } from '../errors'
import { ExecResult } from '../exec-result'
import { checkObject } from '../validate'
import { checkCmd } from '../validate'

/** The sync facade of {@link index!AsyncSession}: a long-lived shell. */
export class Session {
  readonly #native: NativeSession

  /** @internal Use `container.session()`. */
  constructor(native: NativeSession) {
    this.#native = native
  }

  /** {@inheritDoc index!AsyncSession#id} */
  get id(): string {
    return this.#native.id
  }
  /** {@inheritDoc index!AsyncSession#closed} */
  get closed(): boolean {
    return this.#native.closed
  }
  /** {@inheritDoc index!AsyncSession#send} */
  send(cmd: string): void {
    this.#checkOpen()
    callNativeSync(() => this.#native.sendSync(checkCmd(cmd)))
  }
  /** {@inheritDoc index!AsyncSession#sendAndWait} */
  sendAndWait(cmd: string, opts: { timeout?: number } = {}): ExecResult {
    checkObject(opts, 'sendAndWait(cmd, opts)')
    this.#checkOpen()
    return new ExecResult(callNativeSync(() => this.#native.sendAndWaitSync(checkCmd(cmd), opts.timeout)))
  }
  /** {@inheritDoc index!AsyncSession#read} */
  read(): string {
    return this.#native.read()
  }
  /** {@inheritDoc index!AsyncSession#close} */
  close(): void {
    callNativeSync(() => this.#native.closeSync())
  }
  /** `using s = c.session()` closes it at scope end. */
  [Symbol.dispose](): void {
    this.close()
  }
  #checkOpen(): void {
    if (this.#native.closed) throw new SessionClosed('the session is closed: open a new one with container.session()')
  }
}
