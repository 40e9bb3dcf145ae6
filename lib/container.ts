import { resolve } from 'node:path'
import { CancelToken, type NativeContainer } from '../binding.js'
import { AbortError, callNative } from './errors'
import { AsyncExecStream } from './exec-stream'
import { ExecResult } from './exec-result'
import { AsyncProcess } from './process'
import { AsyncSession } from './session'
import { ProcessCallbacks } from './callbacks'
import { toBuffer, toContainerInfo } from './convert'
import { checkCommand, pumpStdin, toRunInput, type Command } from './run-input'
import { checkObject, checkPath, checkSignal, checkString } from './validate'
import type { ContainerInfo, RebootOptions, RunOptions, ShutdownOptions, WaitOptions } from './types'
import { watchJournal } from './project'

/** A callback of `onStdout`/`onStderr` (text, also for processes started with `encoding: 'buffer'`). */
export type OutputCallback = (container: AsyncContainer, data: string) => void
/** A callback of `onExit`. */
export type ExitCallback = (container: AsyncContainer, exitCode: number) => void

/**
 * A running container sandbox. Create one with
 * {@link createNewContainer}; end it with {@link AsyncContainer.shutdown} or
 * `await using`.
 */
export class AsyncContainer {
  readonly #native: NativeContainer
  readonly #callbacks = new ProcessCallbacks<AsyncContainer>(this)

  /** @internal Use `createNewContainer()`. */
  constructor(native: NativeContainer) {
    this.#native = native
    watchJournal(native.dataPath ?? null)
  }

  /** The engine's full container id (a fresh reboot gives a new one). */
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
  /**
   * The instance directory of a persistent project container
   * (`.pocket-dock/instances/<name>/`: `instance.toml`, `history.jsonl`,
   * `logs/`); `null` otherwise.
   */
  get dataPath(): string | null {
    return this.#native.dataPath ?? null
  }

  /**
   * Runs `cmd`: a string via `sh -c` (or the interpreter `lang` names); an
   * array as that argv, with no shell (nothing is quoted or interpreted; with
   * a `lang`, its interpreter runs the argv: `['app.py', 'x']` with
   * `lang: 'python'` is `python3 app.py x`).
   *
   * - Blocking (default): resolves with its {@link ExecResult} when it ends.
   * - `stream: true`: resolves with an {@link AsyncExecStream} at once.
   * - `detach: true`: resolves with an {@link AsyncProcess} at once.
   *
   * A timeout kills the command inside the container (`timedOut: true`); an
   * aborted `signal` kills it and rejects with {@link AbortError}.
   */
  run(
    cmd: Command,
    opts: RunOptions & { encoding: 'buffer' } & { stream: true; detach?: false },
  ): Promise<AsyncExecStream<Buffer>>
  run(cmd: Command, opts: RunOptions & { stream: true; detach?: false }): Promise<AsyncExecStream>
  run(
    cmd: Command,
    opts: RunOptions & { encoding: 'buffer' } & { detach: true; stream?: false },
  ): Promise<AsyncProcess<Buffer>>
  run(cmd: Command, opts: RunOptions & { detach: true; stream?: false }): Promise<AsyncProcess>
  run(cmd: Command, opts: RunOptions & { encoding: 'buffer' }): Promise<ExecResult<Buffer>>
  run(cmd: Command, opts?: RunOptions): Promise<ExecResult>
  async run(
    cmd: Command,
    opts: RunOptions = {},
  ): Promise<ExecResult<string | Buffer> | AsyncExecStream<string | Buffer> | AsyncProcess<string | Buffer>> {
    const command = checkCommand(cmd)
    checkObject(opts, 'run(cmd, opts)')
    const { signal: given, ...rest } = opts
    const signal = checkSignal(given)
    const { native, pipe, source } = toRunInput(rest)
    if (signal?.aborted) throw new AbortError(signal.reason)
    const feed = () => {
      if (source && pipe) void pumpStdin(source, pipe)
    }
    if (opts.detach && !opts.stream) {
      const p = await callNative(() => this.#native.spawn(command, native, pipe))
      feed()
      return new AsyncProcess(p, this.#callbacks.sink, signal)
    }
    if (opts.stream) {
      const s = await callNative(() => this.#native.stream(command, native, pipe))
      feed()
      return new AsyncExecStream(s, signal)
    }
    const token = signal ? new CancelToken() : undefined
    const onAbort = () => token?.cancel()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const running = callNative(() => this.#native.run(command, native, token, pipe))
      feed()
      const r = await running
      const result = new ExecResult(r)
      if (r.cancelled) throw new AbortError(signal?.reason, result)
      return result
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /**
   * Resolves once something listens on TCP `port` inside the container
   * (checked from inside: the engine's port proxy on the host accepts
   * connections before anyone listens). Rejects with `TimeoutError` after
   * `timeout` seconds (default 30); an aborted `signal` rejects with `AbortError`.
   */
  async waitForPort(port: number, opts: WaitOptions = {}): Promise<void> {
    checkObject(opts, 'waitForPort(port, opts)')
    const signal = checkSignal(opts.signal, 'waitForPort(port, opts)')
    if (typeof port !== 'number') {
      throw Object.assign(new TypeError(`waitForPort(port): port must be a number, got ${typeof port}`), {
        code: 'ERR_INVALID_ARG_TYPE',
      })
    }
    if (signal?.aborted) throw new AbortError(signal.reason)
    const token = signal ? new CancelToken() : undefined
    const onAbort = () => token?.cancel()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      await callNative(() => this.#native.waitForPort(port, opts.timeout, token))
    } catch (err) {
      if (signal?.aborted) throw new AbortError(signal.reason)
      throw err
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Opens a long-lived shell session in the container (closed with it). */
  async session(): Promise<AsyncSession> {
    return new AsyncSession(await callNative(() => this.#native.session()))
  }

  /**
   * Writes `content` (text as UTF-8, or bytes) to the absolute `path`, mode 0644, creating missing directories.
   * A directory at `path` rejects with `IsADirectory` (`code: 'EISDIR'`) and is left as it is.
   */
  async writeFile(path: string, content: string | Uint8Array): Promise<void> {
    await callNative(() => this.#native.writeFile(checkPath(path), toBuffer(content)))
  }

  /**
   * Reads the file at the absolute `path`. A missing file rejects with `FileNotFound` (`code: 'ENOENT'`),
   * a directory with `IsADirectory` (`code: 'EISDIR'`).
   */
  async readFile(path: string): Promise<Buffer> {
    return callNative(() => this.#native.readFile(checkPath(path)))
  }

  /**
   * Lists the directory at the absolute `path` (default `/home/sandbox`), sorted; directories end in `/`.
   * A file rejects with `NotADirectory` (`code: 'ENOTDIR'`).
   */
  async listFiles(path = '/home/sandbox'): Promise<string[]> {
    return callNative(() => this.#native.listFiles(checkPath(path)))
  }

  /**
   * Copies the host file or directory `src` to the absolute container path
   * `dest` (which names the copy), keeping modes and symlinks. Streamed: large
   * files never sit in memory. FIFOs, devices and sockets (`src` or inside it)
   * are a `TypeError` naming them, before the engine is contacted.
   */
  async push(src: string, dest: string): Promise<void> {
    await callNative(() => this.#native.push(resolve(checkPath(src)), checkPath(dest)))
  }

  /**
   * Copies the file or directory at the absolute container path `src` to the
   * host path `dest` (which names the copy). The container is not trusted:
   * nothing is created or followed outside `dest`, not even through a symlink
   * already in it; entries that could lead out (`..`, absolute paths, symlinks
   * or hard links leading out) and special files are refused, and the call
   * rejects naming them. Modes lose setuid/setgid/sticky and group/other write.
   */
  async pull(src: string, dest: string): Promise<void> {
    await callNative(() => this.#native.pull(checkPath(src), resolve(checkPath(dest))))
  }

  /**
   * A live picture of the container (status, uptime, memory and CPU use,
   * limits, ports, processes), read from the engine now, never cached.
   */
  async info(): Promise<ContainerInfo> {
    return toContainerInfo(await callNative(() => this.#native.info()))
  }

  /**
   * Restarts the container in place: files are kept; running commands,
   * detached processes and sessions end. With `fresh: true`, recreates it
   * from its image with the same name and configuration (files are lost; the
   * `containerId` changes).
   */
  async reboot(opts: RebootOptions = {}): Promise<void> {
    checkObject(opts, 'reboot(opts)')
    await callNative(() => this.#native.reboot(opts.fresh ?? false))
  }

  /**
   * Commits the container's files as image `imageName` (`name` or
   * `name:tag`) and resolves with its id (`sha256:…`). New containers can be
   * created from it; it is not marked as pocket-dock's.
   */
  async snapshot(imageName: string): Promise<string> {
    return callNative(() => this.#native.snapshot(checkString(imageName, 'snapshot(imageName)')))
  }

  /** Calls `fn(container, data)` with the stdout of every detached process, in order. */
  onStdout(fn: OutputCallback): void {
    this.#callbacks.onStdout(fn)
  }
  /** Calls `fn(container, data)` with the stderr of every detached process, in order. */
  onStderr(fn: OutputCallback): void {
    this.#callbacks.onStderr(fn)
  }
  /** Calls `fn(container, exitCode)` when a detached process ends (-1 if killed by a timeout or shutdown). */
  onExit(fn: ExitCallback): void {
    this.#callbacks.onExit(fn)
  }

  /**
   * Stops the container and removes it (only stops it when `persist`). Safe to
   * call more than once; later `run()` calls reject with `ContainerNotRunning`.
   */
  async shutdown(opts: ShutdownOptions = {}): Promise<void> {
    checkObject(opts, 'shutdown(opts)')
    await callNative(() => this.#native.shutdown(opts.force ?? false))
  }

  /** `await using c = await createNewContainer()` shuts it down at scope end. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown()
  }
}
