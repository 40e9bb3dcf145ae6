/**
 * The error classes of pocket-dock (see `docs/design.md`, error mapping), and
 * the one place where failures coming from the native binding become
 * instances of them.
 *
 * The binding throws plain `Error`s (`TypeError`/`RangeError` for bad input)
 * with the stable `code` and the fields of {@link NativeErrorFields} set on
 * them; {@link fromNative} picks the matching class by `code`, so `instanceof`
 * works everywhere.
 */
import type { NativeErrorFields } from '../binding.js'

/** Base class of every error pocket-dock throws (besides `TypeError`/`RangeError` for bad input). */
export class PocketDockError extends Error {
  /** A stable, machine-readable code, e.g. `CONTAINER_NOT_FOUND`. */
  readonly code: string = 'POCKET_DOCK_ERROR'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** Something went wrong talking to the engine's socket. */
export class SocketError extends PocketDockError {
  override readonly code: string = 'SOCKET_ERROR'
}

/** The engine socket could not be reached (nothing listens, no permission, no answer). */
export class SocketConnectionError extends SocketError {
  override readonly code: string = 'SOCKET_CONNECTION_ERROR'
  constructor(
    message: string,
    /** The socket that was tried. */
    readonly socketPath: string,
    /** The engine's or the system's own words. */
    readonly detail: string,
  ) {
    super(message)
  }
}

/**
 * An engine address could not be used: TLS (which certificate, which name),
 * SSH authentication, a refused connection, the wrong protocol on the port.
 * `reason` says which (`tls`, `auth`, `refused`, `protocol`, `unreachable`,
 * `remote`, `other`); the message says what to check. `host` is the address,
 * `foundBy` how discovery found it. See `docs/remote.md`.
 */
export class EngineConnectionError extends SocketConnectionError {
  override readonly code: string = 'ENGINE_CONNECTION_ERROR'
  constructor(
    message: string,
    /** The engine address, e.g. `tcp://host:2376` or `ssh://user@host`. */
    readonly host: string,
    /** How it was configured: `host`, `DOCKER_HOST`, `Docker context "x"`, … */
    readonly foundBy: string,
    /** Why connecting failed: `tls`, `auth`, `refused`, `protocol`, `unreachable`, `remote` or `other`. */
    readonly reason: string,
    detail: string,
  ) {
    super(message, host, detail)
  }
}

/** The engine answered, then the conversation failed. */
export class SocketCommunicationError extends SocketError {
  override readonly code: string = 'SOCKET_COMMUNICATION_ERROR'
  constructor(
    message: string,
    /** The engine's or the system's own words. */
    readonly detail: string,
  ) {
    super(message)
  }
}

/** No engine socket answered; `tried` lists every place that was checked. */
export class PodmanNotRunning extends SocketError {
  override readonly code: string = 'PODMAN_NOT_RUNNING'
  constructor(
    message: string,
    /** Every socket discovery tried, in order. */
    readonly tried: string[],
  ) {
    super(message)
  }
}

/** A container-level failure (e.g. a name already in use). */
export class ContainerError extends PocketDockError {
  override readonly code: string = 'CONTAINER_ERROR'
  constructor(
    message: string,
    /** The container concerned (its id, or the name it was asked for). */
    readonly containerId: string,
    /** The engine's or the system's own words. */
    readonly detail: string,
  ) {
    super(message)
  }
}

/** No container with that name or id exists. */
export class ContainerNotFound extends ContainerError {
  override readonly code: string = 'CONTAINER_NOT_FOUND'
}

/** The container exists but is not running (stopped, or shut down by this handle). */
export class ContainerNotRunning extends ContainerError {
  override readonly code: string = 'CONTAINER_NOT_RUNNING'
}

/** The container was removed behind this handle's back. */
export class ContainerGone extends ContainerError {
  override readonly code: string = 'CONTAINER_GONE'
}

/** A path inside the container does not exist (`code: 'ENOENT'`, as Node's fs). */
export class FileNotFound extends ContainerError {
  override readonly code: string = 'ENOENT'
  constructor(
    message: string,
    containerId: string,
    /** The path inside the container. */
    readonly path: string,
  ) {
    super(message, containerId, `no such file or directory: ${path}`)
  }
}

/** A file was expected at a container path, and a directory is there (`code: 'EISDIR'`, as Node's fs). */
export class IsADirectory extends ContainerError {
  override readonly code: string = 'EISDIR'
  constructor(
    message: string,
    containerId: string,
    /** The path inside the container. */
    readonly path: string,
  ) {
    super(message, containerId, `is a directory: ${path}`)
  }
}

/** A directory was expected at a container path, and something else is there (`code: 'ENOTDIR'`, as Node's fs). */
export class NotADirectory extends ContainerError {
  override readonly code: string = 'ENOTDIR'
  constructor(
    message: string,
    containerId: string,
    /** The path inside the container. */
    readonly path: string,
  ) {
    super(message, containerId, `not a directory: ${path}`)
  }
}

/** The image is not present on the engine (pocket-dock never pulls implicitly). */
export class ImageNotFound extends PocketDockError {
  override readonly code: string = 'IMAGE_NOT_FOUND'
  constructor(
    message: string,
    /** The image reference concerned. */
    readonly image: string,
  ) {
    super(message)
  }
}

/**
 * An image build failed: `detail` is the engine's own error, `step` (from 1)
 * and `instruction` say where when the engine did, `logTail` holds the last
 * lines the build printed.
 */
export class ImageBuildError extends PocketDockError {
  override readonly code: string = 'BUILD_FAILED'
  constructor(
    message: string,
    /** The image reference concerned. */
    readonly image: string,
    /** The engine's or the system's own words. */
    readonly detail: string,
    /** The build step that failed (1-based), when known. */
    readonly step: number | null = null,
    /** The Dockerfile instruction of that step (`RUN make`), when known. */
    readonly instruction: string | null = null,
    /** The step's last lines of output (at most 20). */
    readonly logTail: string[] = [],
  ) {
    super(message)
  }
}

/**
 * A pull failed: the registry is unreachable, refused the credentials, or
 * answered with an error. The message says how to move images without a
 * registry (`exportImages`/`importImages`).
 */
export class ImagePullError extends PocketDockError {
  override readonly code: string = 'IMAGE_PULL_FAILED'
  constructor(
    message: string,
    /** The image reference concerned. */
    readonly image: string,
    /** The engine's or the system's own words. */
    readonly detail: string,
  ) {
    super(message)
  }
}

/** A session was used after `close()`. */
export class SessionClosed extends PocketDockError {
  override readonly code: string = 'SESSION_CLOSED'
}

/** A warm pool was used after `close()`. */
export class PoolClosed extends PocketDockError {
  override readonly code: string = 'POOL_CLOSED'
}

/**
 * A detached process's stdin was written after `closeStdin()`, after the
 * process ended, or without `stdin: 'pipe'`.
 */
export class StdinClosed extends PocketDockError {
  override readonly code: string = 'STDIN_CLOSED'
}

/** A wait (`waitForPort`, `waitForOutput`) ran out of time. */
export class TimeoutError extends PocketDockError {
  override readonly code: string = 'ETIMEDOUT'
}

/** A project-only operation was called outside a pocket-dock project. */
export class ProjectNotInitialized extends PocketDockError {
  override readonly code: string = 'PROJECT_NOT_INITIALIZED'
}

/** A project file or directory that cannot be read or written (`path`, and why in `detail`). */
export class ProjectError extends PocketDockError {
  override readonly code: string = 'PROJECT_ERROR'
  constructor(
    message: string,
    /** The file or directory. */
    readonly path: string,
    /** What went wrong with it (the system's words). */
    readonly detail: string,
  ) {
    super(message)
  }
}

/**
 * A malformed `pocket-dock.yaml` (or user `config.yaml`): bad YAML, a wrong
 * type, an unknown key or a bad value. `file`, `line` (from 1) and `key` say
 * where.
 */
export class ProjectConfigError extends ProjectError {
  override readonly code: string = 'PROJECT_CONFIG_ERROR'
  constructor(
    message: string,
    /** The config file. */
    readonly file: string,
    /** The line of the mistake, from 1 (null when the parser could not say). */
    readonly line: number | null,
    /** The key in error, e.g. `persistence.max_log_size` (null for bad YAML). */
    readonly key: string | null,
    detail: string,
  ) {
    super(message, file, detail)
  }
}

/**
 * Thrown when an `AbortSignal` stops a command or an image operation. Like Node's own `AbortError`
 * (`name: 'AbortError'`, `code: 'ABORT_ERR'`), with the signal's reason as
 * `cause` and what the command printed before it was killed as `result`.
 */
export class AbortError extends Error {
  /** Always `ABORT_ERR`, as Node's own aborts. */
  readonly code = 'ABORT_ERR'
  constructor(
    reason: unknown,
    /** The command's partial outcome (what it printed before the abort), for an aborted `run`. */
    readonly result?: import('./exec-result').ExecResult<string | Buffer>,
  ) {
    super('The operation was aborted', { cause: reason })
    this.name = 'AbortError'
  }
}

/** napi's own argument-conversion statuses: the caller passed a wrong type. */
const NAPI_TYPE_STATUSES = new Set([
  'InvalidArg',
  'ObjectExpected',
  'StringExpected',
  'NameExpected',
  'FunctionExpected',
  'NumberExpected',
  'BooleanExpected',
  'ArrayExpected',
  'BigintExpected',
])

function withCode<E extends Error>(err: E, code: string): E {
  return Object.assign(err, { code })
}

/** A `TypeError` for an argument of the wrong type, with Node's `code` for it. */
export function argTypeError(message: string): TypeError {
  return withCode(new TypeError(message), 'ERR_INVALID_ARG_TYPE')
}

/** Turns whatever the native binding threw into pocket-dock's error classes. */
export function fromNative(err: unknown): unknown {
  if (!(err instanceof Error)) return err
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && NAPI_TYPE_STATUSES.has(code)) {
    return withCode(new TypeError(`invalid argument: ${err.message}`), 'ERR_INVALID_ARG_TYPE')
  }
  // A bad-input error is already the TypeError/RangeError it should be.
  if (err instanceof TypeError || err instanceof RangeError) return err
  const f = err as Error & Partial<NativeErrorFields>
  if (typeof f.code !== 'string') return err
  const m = f.message
  const detail = f.detail ?? ''
  switch (code) {
    case 'SOCKET_CONNECTION_ERROR':
      return new SocketConnectionError(m, f.socketPath ?? '', detail)
    case 'ENGINE_CONNECTION_ERROR':
      return new EngineConnectionError(m, f.host ?? '', f.foundBy ?? '', f.reason ?? 'other', detail)
    case 'SOCKET_COMMUNICATION_ERROR':
      return new SocketCommunicationError(m, detail)
    case 'PODMAN_NOT_RUNNING':
      return new PodmanNotRunning(m, f.tried ?? [])
    case 'CONTAINER_ERROR':
      return new ContainerError(m, f.containerId ?? '', detail)
    case 'CONTAINER_NOT_FOUND':
      return new ContainerNotFound(m, f.containerId ?? '', detail)
    case 'CONTAINER_NOT_RUNNING':
      return new ContainerNotRunning(m, f.containerId ?? '', detail)
    case 'CONTAINER_GONE':
      return new ContainerGone(m, f.containerId ?? '', detail)
    case 'ENOENT':
      return new FileNotFound(m, f.containerId ?? '', f.path ?? '')
    case 'EISDIR':
      return new IsADirectory(m, f.containerId ?? '', f.path ?? '')
    case 'ENOTDIR':
      return new NotADirectory(m, f.containerId ?? '', f.path ?? '')
    case 'IMAGE_NOT_FOUND':
      return new ImageNotFound(m, f.image ?? '')
    case 'BUILD_FAILED':
      return new ImageBuildError(m, f.image ?? '', detail, f.step ?? null, f.instruction ?? null, f.logTail ?? [])
    case 'IMAGE_PULL_FAILED':
      return new ImagePullError(m, f.image ?? '', detail)
    case 'ABORT_ERR':
      return new AbortError(undefined)
    case 'SESSION_CLOSED':
      return new SessionClosed(m)
    case 'STDIN_CLOSED':
      return new StdinClosed(m)
    case 'ETIMEDOUT':
      return new TimeoutError(m)
    case 'PROJECT_NOT_INITIALIZED':
      return new ProjectNotInitialized(m)
    case 'POOL_CLOSED':
      return new PoolClosed(m)
    case 'PROJECT_ERROR':
      return new ProjectError(m, f.path ?? '', detail)
    case 'PROJECT_CONFIG_ERROR':
      return new ProjectConfigError(m, f.file ?? '', f.line ?? null, f.key ?? null, detail)
    default:
      // Not one of pocket-dock's codes (napi's own failures): as thrown.
      return err
  }
}

/**
 * Calls into the binding and rethrows its failures (thrown synchronously while
 * converting arguments, or rejected later) as pocket-dock errors.
 */
export async function callNative<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw fromNative(err)
  }
}

/** {@link callNative} for the blocking `*Sync` calls of `pocket-dock/sync`. */
export function callNativeSync<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw fromNative(err)
  }
}
