/**
 * What the async and the sync containers share: input checks, conversions
 * to and from the binding, and the detached-process callbacks. One copy, so the
 * two APIs cannot drift.
 */
import type { NativeContainerInfo, NativeProcessEvent, NativeRunOptions } from '../binding.js'
import { argTypeError } from './errors'
import type { ContainerInfo, RunOptions } from './types'

export function checkPath(path: string): string {
  if (typeof path !== 'string') throw argTypeError(`a container path must be a string, got ${typeof path}`)
  return path
}

export function checkString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw argTypeError(`${what} must be a string, got ${typeof value}`)
  return value
}

/** An options argument: omitted (the default applies) or an object; `null` and other values are a `TypeError`. */
export function checkObject(opts: unknown, what: string): void {
  if (opts === null || typeof opts !== 'object')
    throw argTypeError(`${what}: opts must be an object, got ${opts === null ? 'null' : typeof opts}`)
}

export function checkName(name: unknown, fn: string): void {
  if (typeof name !== 'string' || name === '') {
    throw argTypeError(`${fn}(name): name must be a non-empty string, got ${JSON.stringify(name)}`)
  }
}

/** `RunOptions.signal`: an `AbortSignal` or nothing. */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw argTypeError(
      `run(cmd, opts): opts.signal must be an AbortSignal, got ${signal === null ? 'null' : typeof signal}`,
    )
  }
  return signal
}

export function checkFn<F>(fn: F): F {
  if (typeof fn !== 'function') throw argTypeError('the callback must be a function')
  return fn
}

export function toBuffer(data: string | Uint8Array): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8')
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  throw argTypeError('expected a string or a Uint8Array')
}

/** `RunOptions` (without `signal`, which stays in JS) as the binding takes them. */
export function toNativeRun(opts: Omit<RunOptions, 'signal'>): NativeRunOptions {
  const { stdin, ...rest } = opts
  return { ...rest, stdin: stdin === undefined ? undefined : toBuffer(stdin) }
}

export function toContainerInfo(i: NativeContainerInfo): ContainerInfo {
  return {
    ...i,
    killMode: i.killMode === 'subreaper' ? 'subreaper' : 'marker',
    createdAt: new Date(i.createdAt),
    startedAt: i.startedAt ? new Date(i.startedAt) : null,
    ipAddress: i.ipAddress ?? null,
  }
}

/**
 * A container's `onStdout`/`onStderr`/`onExit` callbacks, fed with the events
 * of its detached processes. A throwing callback is reported as a warning,
 * not fatal, and the others still run.
 */
export class ProcessCallbacks<C> {
  readonly #stdout: ((container: C, data: string) => void)[] = []
  readonly #stderr: ((container: C, data: string) => void)[] = []
  readonly #exit: ((container: C, exitCode: number) => void)[] = []

  constructor(private readonly container: C) {}

  onStdout(fn: (container: C, data: string) => void): void {
    this.#stdout.push(checkFn(fn))
  }
  onStderr(fn: (container: C, data: string) => void): void {
    this.#stderr.push(checkFn(fn))
  }
  onExit(fn: (container: C, exitCode: number) => void): void {
    this.#exit.push(checkFn(fn))
  }

  /** Delivers one event to the matching callbacks. */
  readonly sink = (e: NativeProcessEvent): void => {
    const call = (fn: () => void, which: string) => {
      try {
        fn()
      } catch (err) {
        process.emitWarning(
          `pocket-dock: an ${which} callback threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
          'PocketDockCallbackWarning',
        )
      }
    }
    const c = this.container
    if (e.kind === 'exit') for (const fn of this.#exit) call(() => fn(c, e.exitCode ?? -1), 'onExit')
    else if (e.kind === 'stdout') for (const fn of this.#stdout) call(() => fn(c, e.data ?? ''), 'onStdout')
    else for (const fn of this.#stderr) call(() => fn(c, e.data ?? ''), 'onStderr')
  }
}
