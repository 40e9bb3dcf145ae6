import type { NativeSession } from '../../binding.js'
import { SessionClosed, argTypeError, callNativeSync } from '../errors'
import { ExecResult } from '../exec-result'
import { checkObject } from '../validate'
import { checkCmd } from '../validate'

/** How often `onOutput` callbacks look for output of `send()` commands (between blocking calls). */
const OUTPUT_POLL_MS = 50

/** The sync facade of {@link AsyncSession}: a long-lived shell. */
export class Session {
  readonly #native: NativeSession
  readonly #listeners: ((data: string) => void)[] = []
  #poll: NodeJS.Timeout | undefined

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
  /**
   * Calls `fn(data)` with the output of `send()` commands as it arrives
   * (instead of `read()`). Delivered from the event loop, so between
   * blocking calls; `close()` delivers what is left.
   */
  onOutput(fn: (data: string) => void): void {
    if (typeof fn !== 'function') throw argTypeError('onOutput(fn): fn must be a function')
    this.#listeners.push(fn)
    this.#poll ??= setInterval(() => this.#deliver(), OUTPUT_POLL_MS).unref()
  }
  close(): void {
    this.#deliver()
    clearInterval(this.#poll)
    callNativeSync(() => this.#native.closeSync())
  }
  #deliver(): void {
    if (this.#native.closed) clearInterval(this.#poll)
    const data = this.#listeners.length > 0 ? this.#native.read() : ''
    if (!data) return
    for (const fn of this.#listeners) {
      try {
        fn(data)
      } catch (err) {
        process.emitWarning(`pocket-dock: an onOutput callback threw: ${String(err)}`, 'PocketDockCallbackWarning')
      }
    }
  }
  [Symbol.dispose](): void {
    this.close()
  }
  #checkOpen(): void {
    if (this.#native.closed) throw new SessionClosed('the session is closed: open a new one with container.session()')
  }
}
