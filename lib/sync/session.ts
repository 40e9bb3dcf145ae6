import type { NativeSession } from '../../binding.js'
import { SessionClosed, callNativeSync } from '../errors'
import { ExecResult } from '../exec-result'
import { checkObject } from '../validate'
import { checkCmd } from '../validate'

/** The sync facade of {@link AsyncSession}: a long-lived shell. */
export class Session {
  readonly #native: NativeSession

  /** @internal Use `container.session()`. */
  constructor(native: NativeSession) {
    this.#native = native
  }

  get id(): string {
    return this.#native.id
  }
  get closed(): boolean {
    return this.#native.closed
  }
  send(cmd: string): void {
    this.#checkOpen()
    callNativeSync(() => this.#native.sendSync(checkCmd(cmd)))
  }
  sendAndWait(cmd: string, opts: { timeout?: number } = {}): ExecResult {
    checkObject(opts, 'sendAndWait(cmd, opts)')
    this.#checkOpen()
    return new ExecResult(callNativeSync(() => this.#native.sendAndWaitSync(checkCmd(cmd), opts.timeout)))
  }
  read(): string {
    return this.#native.read()
  }
  close(): void {
    callNativeSync(() => this.#native.closeSync())
  }
  [Symbol.dispose](): void {
    this.close()
  }
  #checkOpen(): void {
    if (this.#native.closed) throw new SessionClosed('the session is closed: open a new one with container.session()')
  }
}
