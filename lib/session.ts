import type { NativeSession } from '../binding.js'
import { SessionClosed, argTypeError, callNative } from './errors'
import { callSafely } from './callbacks'
import { ExecResult } from './exec-result'
import { checkObject } from './validate'
import { checkCmd } from './validate'

/** How often `onOutput` callbacks look for output of `send()` commands. */
const OUTPUT_POLL_MS = 50

/**
 * A long-lived `/bin/sh` in the container: state (cwd, variables)
 * persists between commands. `sendAndWait` returns each command's own output
 * and exit code; calls queue, never interleave. After `close()` (or the
 * container's shutdown) every call rejects with {@link SessionClosed}.
 */
export class AsyncSession {
  readonly #native: NativeSession
  readonly #listeners: ((data: string) => void)[] = []
  #poll: NodeJS.Timeout | undefined

  /** @internal Use `container.session()`. */
  constructor(native: NativeSession) {
    this.#native = native
  }

  /** The engine's id of the shell's exec. */
  get id(): string {
    return this.#native.id
  }

  /** Whether the session is closed. */
  get closed(): boolean {
    return this.#native.closed
  }

  /** Sends a command without waiting; its output goes to `read()` / `onOutput`. */
  async send(cmd: string): Promise<void> {
    this.#checkOpen()
    await callNative(() => this.#native.send(checkCmd(cmd)))
  }

  /**
   * Runs `cmd` in the shell and resolves with its own stdout, stderr and exit
   * code. A timeout (seconds; default the container's) kills what the command
   * started and resolves with `timedOut: true`; the session stays usable, or —
   * if the command cannot be interrupted — is closed.
   */
  async sendAndWait(cmd: string, opts: { timeout?: number } = {}): Promise<ExecResult> {
    checkObject(opts, 'sendAndWait(cmd, opts)')
    this.#checkOpen()
    return new ExecResult(await callNative(() => this.#native.sendAndWait(checkCmd(cmd), opts.timeout)))
  }

  /** Drains the output of `send()` commands received so far. */
  read(): string {
    return this.#native.read()
  }

  /** Calls `fn(data)` with the output of `send()` commands as it arrives (instead of `read()`). */
  onOutput(fn: (data: string) => void): void {
    if (typeof fn !== 'function') throw argTypeError('onOutput(fn): fn must be a function')
    this.#listeners.push(fn)
    this.#poll ??= setInterval(() => this.#deliver(), OUTPUT_POLL_MS).unref()
  }

  /** Ends the shell; later calls reject with `SessionClosed`. Safe to call twice. */
  async close(): Promise<void> {
    this.#deliver()
    clearInterval(this.#poll)
    await callNative(() => this.#native.close())
  }

  /** `await using s = await c.session()` closes it at scope end. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #deliver(): void {
    if (this.#native.closed) clearInterval(this.#poll)
    const data = this.#native.read()
    if (!data) return
    for (const fn of this.#listeners) callSafely(() => fn(data), 'onOutput')
  }

  #checkOpen(): void {
    if (this.#native.closed) throw new SessionClosed('the session is closed: open a new one with container.session()')
  }
}
