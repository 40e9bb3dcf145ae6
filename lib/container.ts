import { CancelToken, type NativeContainer } from '../binding.js'
import { AbortError, callNative } from './errors'
import { ExecResult } from './exec-result'
import type { RunOptions, ShutdownOptions } from './types'

/**
 * A running container sandbox (SPEC §3). Create one with
 * {@link createNewContainer}; end it with {@link AsyncContainer.shutdown} or
 * `await using`.
 */
export class AsyncContainer {
  readonly #native: NativeContainer

  /** @internal Use `createNewContainer()`. */
  constructor(native: NativeContainer) {
    this.#native = native
  }

  /** The engine's full container id. */
  get containerId(): string {
    return this.#native.containerId
  }
  /** The container's name. */
  get name(): string {
    return this.#native.name
  }
  /** The engine socket this container lives on. */
  get socketPath(): string {
    return this.#native.socketPath
  }
  /** Whether `shutdown()` keeps the container (stopped). */
  get persist(): boolean {
    return this.#native.persist
  }
  /** The project the container belongs to, if any. */
  get project(): string | null {
    return this.#native.project
  }
  /** The project instance directory of a persistent project container (none yet). */
  get dataPath(): string | null {
    return null
  }

  /**
   * Runs `cmd` (via `sh -c` unless `lang` says otherwise) and resolves with its
   * {@link ExecResult} when it ends. A timeout kills the command inside the
   * container and resolves with `timedOut: true`; an aborted `signal` kills it
   * and rejects with {@link AbortError}.
   */
  async run(cmd: string, opts: RunOptions = {}): Promise<ExecResult> {
    if (typeof cmd !== 'string') throw new TypeError(`run(cmd): cmd must be a string, got ${typeof cmd}`)
    const { signal, stdin, ...rest } = opts
    if (signal?.aborted) throw new AbortError(signal.reason)
    const native = { ...rest, stdin: stdin === undefined ? undefined : toBuffer(stdin) }
    const token = signal ? new CancelToken() : undefined
    const onAbort = () => token?.cancel()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const r = await callNative(() => this.#native.run(cmd, native, token))
      const result = new ExecResult(r)
      if (r.cancelled) throw new AbortError(signal?.reason, result)
      return result
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /**
   * Stops the container and removes it (only stops it when `persist`). Safe to
   * call more than once; later `run()` calls reject with `ContainerNotRunning`.
   */
  async shutdown(opts: ShutdownOptions = {}): Promise<void> {
    await callNative(() => this.#native.shutdown(opts.force ?? false))
  }

  /** `await using c = await createNewContainer()` shuts it down at scope end. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown()
  }
}

function toBuffer(data: string | Uint8Array): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8')
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  throw new TypeError('`stdin` must be a string or a Uint8Array')
}
