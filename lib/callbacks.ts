/**
 * A container's `onStdout`/`onStderr`/`onExit` callbacks, fed with the events
 * of its detached processes; shared by the async and sync containers.
 */
import type { NativeProcessEvent } from '../binding.js'
import { checkFn } from './validate'

/** Calls a user callback; one that throws is a `PocketDockCallbackWarning`, never an uncaught exception. */
export function callSafely(fn: () => void, which: string): void {
  try {
    fn()
  } catch (err) {
    process.emitWarning(
      `pocket-dock: an ${which} callback threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      'PocketDockCallbackWarning',
    )
  }
}

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
    const c = this.container
    // Text: `asText` decoded the output of `encoding: 'buffer'` processes.
    const text = typeof e.data === 'string' ? e.data : (e.data?.toString('utf8') ?? '')
    if (e.kind === 'exit') for (const fn of this.#exit) callSafely(() => fn(c, e.exitCode ?? -1), 'onExit')
    else if (e.kind === 'stdout') for (const fn of this.#stdout) callSafely(() => fn(c, text), 'onStdout')
    else for (const fn of this.#stderr) callSafely(() => fn(c, text), 'onStderr')
  }
}
