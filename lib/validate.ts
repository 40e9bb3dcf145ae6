/**
 * The argument checks of the TypeScript layer, in one place: types and
 * shapes only (a string, an object, a function, an AbortSignal). What a value
 * means — ranges, paths, names — is checked once, in the core crate, for the
 * async and sync APIs alike. Each failure is a `TypeError` with Node's
 * `ERR_INVALID_ARG_TYPE` code.
 */
import { argTypeError } from './errors'

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

/** An options object's `signal`: an `AbortSignal` or nothing. */
export function checkSignal(signal: unknown, what = 'run(cmd, opts)'): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw argTypeError(`${what}: opts.signal must be an AbortSignal, got ${signal === null ? 'null' : typeof signal}`)
  }
  return signal
}

export function checkFn<F>(fn: F): F {
  if (typeof fn !== 'function') throw argTypeError('the callback must be a function')
  return fn
}

/** A command: a string (what it runs is the core's concern). */
export function checkCmd(cmd: string): string {
  if (typeof cmd !== 'string') throw argTypeError(`the command must be a string, got ${typeof cmd}`)
  return cmd
}

/**
 * A signal as the binding takes it. The core checks the value, for the sync
 * facade alike: a number 1–64 or a standard name with or without `SIG`, in
 * any case; anything else is a `RangeError` (`ERR_OUT_OF_RANGE`) before
 * anything is sent.
 */
export function toSignal(signal: number | string): string {
  if (typeof signal !== 'number' && typeof signal !== 'string') {
    throw argTypeError(`kill(signal): the signal must be a number or a name, got ${typeof signal}`)
  }
  return String(signal)
}
