import { resolve } from 'node:path'
import type { NativeContainer } from '../../binding.js'
import { argTypeError, callNativeSync } from '../errors'
import { ExecResult } from '../exec-result'
import { ProcessCallbacks } from '../callbacks'
import { toBuffer, toContainerInfo } from '../convert'
import { checkCommand, toRunInput, type Command } from '../run-input'
import { checkObject, checkPath, checkString } from '../validate'
import type { ContainerInfo, RebootOptions, RunOptions, ShutdownOptions } from '../types'

import { ExecStream } from './exec-stream'
import { Process } from './process'
import { Session } from './session'
import { watchJournal } from '../project'

/** `RunOptions` of the sync API: no `signal` (a blocked thread cannot see an abort; use `timeout`). */
export type SyncRunOptions = Omit<RunOptions, 'signal'>

/**
 * The sync facade of {@link index!AsyncContainer}: the same methods, each
 * blocking until done and returning a value. Every call runs the same native
 * operation as the async one, to completion on the shared background runtime;
 * it works on any thread, including `worker_threads` workers.
 */
export class Container {
  readonly #native: NativeContainer
  readonly #callbacks = new ProcessCallbacks<Container>(this)

  /** @internal Use `createNewContainer()` from `pocket-dock/sync`. */
  constructor(native: NativeContainer) {
    this.#native = native
    watchJournal(native.dataPath ?? null)
  }

  /** {@inheritDoc index!AsyncContainer#containerId} */
  get containerId(): string {
    return this.#native.containerId
  }
  /** {@inheritDoc index!AsyncContainer#name} */
  get name(): string {
    return this.#native.name
  }
  /** {@inheritDoc index!AsyncContainer#socketPath} */
  get socketPath(): string {
    return this.#native.socketPath
  }
  /** {@inheritDoc index!AsyncContainer#persist} */
  get persist(): boolean {
    return this.#native.persist
  }
  /** {@inheritDoc index!AsyncContainer#project} */
  get project(): string | null {
    return this.#native.project ?? null
  }
  /** {@inheritDoc index!AsyncContainer#dataPath} */
  get dataPath(): string | null {
    return this.#native.dataPath ?? null
  }

  /** Runs `cmd` and returns its {@link ExecResult}; `stream: true` → {@link ExecStream}; `detach: true` → {@link Process}. */
  run(
    cmd: Command,
    opts: SyncRunOptions & { encoding: 'buffer' } & { stream: true; detach?: false },
  ): ExecStream<Buffer>
  run(cmd: Command, opts: SyncRunOptions & { stream: true; detach?: false }): ExecStream
  run(cmd: Command, opts: SyncRunOptions & { encoding: 'buffer' } & { detach: true; stream?: false }): Process<Buffer>
  run(cmd: Command, opts: SyncRunOptions & { detach: true; stream?: false }): Process
  run(cmd: Command, opts: SyncRunOptions & { encoding: 'buffer' }): ExecResult<Buffer>
  run(cmd: Command, opts?: SyncRunOptions): ExecResult
  run(
    cmd: Command,
    opts: SyncRunOptions = {},
  ): ExecResult<string | Buffer> | ExecStream<string | Buffer> | Process<string | Buffer> {
    const command = checkCommand(cmd)
    checkObject(opts, 'run(cmd, opts)')
    if ('signal' in opts && (opts as RunOptions).signal !== undefined) {
      throw argTypeError(
        'run(): `signal` is not supported by pocket-dock/sync (a blocked thread cannot see an abort): use `timeout`',
      )
    }
    const { native, pipe } = toRunInput(opts, true)
    if (opts.detach && !opts.stream) {
      return new Process(
        callNativeSync(() => this.#native.spawnSync(command, native, pipe)),
        this.#callbacks.sink,
      )
    }
    if (opts.stream) return new ExecStream(callNativeSync(() => this.#native.streamSync(command, native)))
    return new ExecResult(callNativeSync(() => this.#native.runSync(command, native)))
  }

  /** Blocks until something listens on TCP `port` inside the container; `TimeoutError` after `opts.timeout` s (default 30). */
  waitForPort(port: number, opts: { timeout?: number } = {}): void {
    checkObject(opts, 'waitForPort(port, opts)')
    if (typeof port !== 'number') throw argTypeError(`waitForPort(port): port must be a number, got ${typeof port}`)
    callNativeSync(() => this.#native.waitForPortSync(port, opts.timeout))
  }

  /** {@inheritDoc index!AsyncContainer#info} */
  info(): ContainerInfo {
    return toContainerInfo(callNativeSync(() => this.#native.infoSync()))
  }
  /** {@inheritDoc index!AsyncContainer#reboot} */
  reboot(opts: RebootOptions = {}): void {
    checkObject(opts, 'reboot(opts)')
    callNativeSync(() => this.#native.rebootSync(opts.fresh ?? false))
  }
  /** {@inheritDoc index!AsyncContainer#session} */
  session(): Session {
    return new Session(callNativeSync(() => this.#native.sessionSync()))
  }
  /** {@inheritDoc index!AsyncContainer#writeFile} */
  writeFile(path: string, content: string | Uint8Array): void {
    callNativeSync(() => this.#native.writeFileSync(checkPath(path), toBuffer(content)))
  }
  /** {@inheritDoc index!AsyncContainer#readFile} */
  readFile(path: string): Buffer {
    return callNativeSync(() => this.#native.readFileSync(checkPath(path)))
  }
  /** {@inheritDoc index!AsyncContainer#listFiles} */
  listFiles(path = '/home/sandbox'): string[] {
    return callNativeSync(() => this.#native.listFilesSync(checkPath(path)))
  }
  /** {@inheritDoc index!AsyncContainer#push} */
  push(src: string, dest: string): void {
    callNativeSync(() => this.#native.pushSync(resolve(checkPath(src)), checkPath(dest)))
  }
  /** {@inheritDoc index!AsyncContainer#pull} */
  pull(src: string, dest: string): void {
    callNativeSync(() => this.#native.pullSync(checkPath(src), resolve(checkPath(dest))))
  }
  /** {@inheritDoc index!AsyncContainer#snapshot} */
  snapshot(imageName: string): string {
    return callNativeSync(() => this.#native.snapshotSync(checkString(imageName, 'snapshot(imageName)')))
  }
  /** {@inheritDoc index!AsyncContainer#onStdout} */
  onStdout(fn: (container: Container, data: string) => void): void {
    this.#callbacks.onStdout(fn)
  }
  /** {@inheritDoc index!AsyncContainer#onStderr} */
  onStderr(fn: (container: Container, data: string) => void): void {
    this.#callbacks.onStderr(fn)
  }
  /** {@inheritDoc index!AsyncContainer#onExit} */
  onExit(fn: (container: Container, exitCode: number) => void): void {
    this.#callbacks.onExit(fn)
  }
  /** {@inheritDoc index!AsyncContainer#shutdown} */
  shutdown(opts: ShutdownOptions = {}): void {
    checkObject(opts, 'shutdown(opts)')
    callNativeSync(() => this.#native.shutdownSync(opts.force ?? false))
  }
  /** `using c = createNewContainer()` shuts it down at scope end. */
  [Symbol.dispose](): void {
    this.shutdown()
  }
}
