import type { NativeSession } from '../../binding.js'
import { SessionClosed, argTypeError, callNativeSync } from '../errors'
import { callSafely } from '../callbacks'
import { ExecResult } from '../exec-result'
import { checkObject } from '../validate'
import { checkCmd } from '../validate'

/** How often `onOutput` callbacks look for output of `send()` commands (between blocking calls). */
const OUTPUT_POLL_MS = 50

/** The sync facade of {@link index!AsyncSession}: a long-lived shell. */
export class Session {
  readonly #native: NativeSession
  readonly #listeners: ((data: string) => void)[] = []
  #poll: NodeJS.Timeout | undefined

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
  /** {@inheritDoc index!AsyncSession#close} */
  close(): void {
    this.#deliver()
    clearInterval(this.#poll)
    callNativeSync(() => this.#native.closeSync())
  }
  #deliver(): void {
    if (this.#native.closed) clearInterval(this.#poll)
    const data = this.#listeners.length > 0 ? this.#native.read() : ''
    if (!data) return
    for (const fn of this.#listeners) callSafely(() => fn(data), 'onOutput')
  }
  /** `using s = c.session()` closes it at scope end. */
  [Symbol.dispose](): void {
    this.close()
  }
  #checkOpen(): void {
    if (this.#native.closed) throw new SessionClosed('the session is closed: open a new one with container.session()')
  }
}
