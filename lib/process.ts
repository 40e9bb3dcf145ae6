import type { NativeProcess, NativeProcessEvent } from '../binding.js'
import { callNative } from './errors'
import { ExecResult } from './exec-result'
import { checkObject, toSignal } from './validate'

/** Buffered output of a detached process. */
export interface BufferSnapshot {
  /** The newest stdout kept (at most 1 MiB). */
  stdout: string
  /** The newest stderr kept (at most 1 MiB). */
  stderr: string
}

/** @internal Receives a detached process's events, in order. */
export type ProcessEventSink = (event: NativeProcessEvent) => void

/**
 * A command running in the background (`run(cmd, { detach: true })`). Its
 * output goes to a 1 MiB ring buffer (oldest evicted, `bufferOverflow` set)
 * and to the container's `onStdout`/`onStderr`/`onExit` callbacks.
 */
export class AsyncProcess {
  readonly #native: NativeProcess

  /** @internal Use `container.run(cmd, { detach: true })`. An aborted `signal` kills the process. */
  constructor(native: NativeProcess, sink: ProcessEventSink, signal?: AbortSignal) {
    this.#native = native
    const onAbort = () => void this.kill('KILL').catch(() => {})
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, { once: true })
    void pumpEvents(native, sink).finally(() => signal?.removeEventListener('abort', onAbort))
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
  async wait(opts: { timeout?: number } = {}): Promise<ExecResult> {
    checkObject(opts, 'wait(opts)')
    return new ExecResult(await callNative(() => this.#native.wait(opts.timeout)))
  }

  /** The buffered output, consumed. */
  read(): BufferSnapshot {
    return this.#native.read()
  }

  /** The buffered output, left in place. */
  peek(): BufferSnapshot {
    return this.#native.peek()
  }
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
