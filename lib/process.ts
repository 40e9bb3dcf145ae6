import { StringDecoder } from 'node:string_decoder'
import type { NativeProcess, NativeProcessEvent } from '../binding.js'
import { AbortError, TimeoutError, argTypeError, callNative } from './errors'
import { ExecResult } from './exec-result'
import { toBuffer } from './convert'
import type { WaitOptions } from './types'
import { checkObject, checkSignal, toSignal } from './validate'

/** Buffered output of a detached process (`Buffer`s with `encoding: 'buffer'`). */
export interface BufferSnapshot<T extends string | Buffer = string> {
  stdout: T
  stderr: T
}

/** @internal Receives a detached process's events, in order. */
export type ProcessEventSink = (event: NativeProcessEvent) => void

/** How long `waitForOutput` waits by default, in seconds. */
const DEFAULT_WAIT = 30

/**
 * A command running in the background (`run(cmd, { detach: true })`). Its
 * output goes to a 1 MiB ring buffer (oldest evicted, `bufferOverflow` set)
 * and to the container's `onStdout`/`onStderr`/`onExit` callbacks.
 */
export class AsyncProcess<T extends string | Buffer = string> {
  readonly #native: NativeProcess
  readonly #listeners = new Set<() => void>()

  /** @internal Use `container.run(cmd, { detach: true })`. An aborted `signal` kills the process. */
  constructor(native: NativeProcess, sink: ProcessEventSink, signal?: AbortSignal) {
    this.#native = native
    const onAbort = () => void this.kill('KILL').catch(() => {})
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, { once: true })
    const notify: ProcessEventSink = (event) => {
      sink(event)
      for (const l of this.#listeners) l()
    }
    void pumpEvents(native, asText(notify)).finally(() => {
      signal?.removeEventListener('abort', onAbort)
      for (const l of this.#listeners) l()
    })
  }

  /** The engine's id of this exec. */
  get id(): string {
    return this.#native.id
  }
  /** Bytes of output the buffer holds now (at most 1 MiB). */
  get bufferSize(): number {
    return this.#native.bufferSize
  }
  /** Whether older output was evicted from the buffer. */
  get bufferOverflow(): boolean {
    return this.#native.bufferOverflow
  }

  /** Whether the command is still running. */
  async isRunning(): Promise<boolean> {
    return this.#native.isRunning()
  }

  /**
   * Sends `signal` (a number 1–64, default 15 = SIGTERM, or a name like
   * `'KILL'` or `'SIGINT'`, in any case) to the process and its children inside
   * the container, then waits briefly for it to end. An unknown signal rejects
   * with a `RangeError` and sends nothing.
   */
  async kill(signal: number | string = 15): Promise<void> {
    const name = toSignal(signal)
    await callNative(() => this.#native.kill(name))
  }

  /**
   * Waits for the command to end (at most `timeout` seconds) and returns its
   * result, with the buffered output (not consumed). If it is still running at
   * the timeout, `timedOut` is true and it keeps running.
   */
  async wait(opts: { timeout?: number } = {}): Promise<ExecResult<T>> {
    checkObject(opts, 'wait(opts)')
    return new ExecResult<T>(await callNative(() => this.#native.wait(opts.timeout)))
  }

  /** The buffered output, consumed. */
  read(): BufferSnapshot<T> {
    return this.#native.read() as BufferSnapshot<T>
  }

  /** The buffered output, left in place. */
  peek(): BufferSnapshot<T> {
    return this.#native.peek() as BufferSnapshot<T>
  }

  /**
   * Writes `data` (text as UTF-8, or bytes) to the process's stdin; it must
   * have been started with `stdin: 'pipe'`. Resolves once the data is on its
   * way (waits while the process does not read). After `closeStdin()` or
   * once the process ended, rejects with `StdinClosed`.
   */
  async write(data: string | Uint8Array): Promise<void> {
    const bytes = toBuffer(data)
    await callNative(() => this.#native.write(bytes))
  }

  /** Closes the process's stdin: it reads end-of-file once what was written arrived. Safe to call twice. */
  closeStdin(): void {
    this.#native.closeStdin()
  }

  /**
   * Resizes the pseudo-terminal of a process started with `tty: true`
   * (`cols`/`rows` whole numbers 1–65535, else a `RangeError`).
   */
  async resize(cols: number, rows: number): Promise<void> {
    await callNative(() => this.#native.resize(cols, rows))
  }

  /**
   * Resolves with the first match of `pattern` (a substring, or a `RegExp`:
   * its whole match) in the process's buffered stdout or stderr, as soon as
   * the output contains it. Rejects with `TimeoutError` after `timeout`
   * seconds (default 30) or once the process ended without it; an aborted
   * `signal` rejects with `AbortError`.
   */
  async waitForOutput(pattern: string | RegExp, opts: WaitOptions = {}): Promise<string> {
    const signal = checkSignal(opts?.signal, 'waitForOutput(pattern, opts)')
    const timeout = checkWait(pattern, opts)
    if (signal?.aborted) throw new AbortError(signal.reason)
    const find = () => findOutput(this.#native, pattern)
    return new Promise<string>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const done = (err: Error | null, match?: string) => {
        this.#listeners.delete(check)
        if (timer) clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        if (err) reject(err)
        else resolve(match as string)
      }
      const check = () => {
        const match = find()
        if (match !== null) done(null, match)
        else if (!this.#native.isRunning())
          done(new TimeoutError(`the process ended without printing ${String(pattern)}`))
      }
      const onAbort = () => done(new AbortError(signal?.reason))
      signal?.addEventListener('abort', onAbort, { once: true })
      if (Number.isFinite(timeout)) {
        timer = setTimeout(
          () => done(new TimeoutError(`the process did not print ${String(pattern)} within ${timeout} s`)),
          timeout * 1000,
        )
      }
      this.#listeners.add(check)
      check()
    })
  }
}

/**
 * @internal The container's callbacks take text: the output events of a
 * process with `encoding: 'buffer'` are decoded on the way (a character split
 * between events is kept whole).
 */
export function asText(sink: ProcessEventSink): ProcessEventSink {
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') }
  return (event) => {
    if (Buffer.isBuffer(event.data) && (event.kind === 'stdout' || event.kind === 'stderr')) {
      sink({ ...event, data: decoders[event.kind].write(event.data) })
    } else sink(event)
  }
}

/** @internal Checks `waitForOutput`'s arguments; returns its timeout in seconds. */
export function checkWait(pattern: unknown, opts: WaitOptions): number {
  checkObject(opts, 'waitForOutput(pattern, opts)')
  if (typeof pattern !== 'string' && !(pattern instanceof RegExp)) {
    throw argTypeError('waitForOutput(pattern): pattern must be a string or a RegExp')
  }
  const timeout = opts.timeout ?? DEFAULT_WAIT
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw Object.assign(new RangeError(`waitForOutput: timeout must be a number of seconds ≥ 0, got ${timeout}`), {
      code: 'ERR_OUT_OF_RANGE',
    })
  }
  return timeout
}

/** @internal The first match of `pattern` in the buffered stdout, then stderr; `null` if none. */
export function findOutput(native: NativeProcess, pattern: string | RegExp): string | null {
  const snap = native.peek()
  for (const out of [snap.stdout, snap.stderr]) {
    const text = typeof out === 'string' ? out : out.toString('utf8')
    if (typeof pattern === 'string') {
      if (text.includes(pattern)) return pattern
    } else {
      // A fresh, non-global copy: the caller's lastIndex is neither used nor changed.
      const m = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).exec(text)
      if (m) return m[0]
    }
  }
  return null
}

/** @internal Hands every event to `sink` until the exit event. */
export async function pumpEvents(native: NativeProcess, sink: ProcessEventSink): Promise<void> {
  try {
    for (;;) {
      const events = await native.nextEvents()
      if (events === null) return
      for (const event of events) sink(event)
    }
  } catch (err) {
    process.emitWarning(`pocket-dock: a detached process's event reader failed: ${String(err)}`)
  }
}
