import { Readable } from 'node:stream'
import type { NativeExecStream } from '../binding.js'
import { AbortError, callNative } from './errors'
import { ExecResult } from './exec-result'

/** A piece of a command's output, as it arrives. */
export interface StreamChunk<T extends string | Buffer = string> {
  stream: 'stdout' | 'stderr'
  /** UTF-8 text (a character is never split between chunks), or bytes with `encoding: 'buffer'`. */
  data: T
}

/**
 * A command running in streaming mode: `for await (const chunk of stream)`
 * yields its output as it arrives, in order. Leaving the loop early (`break`,
 * `return`, a throw) or aborting the `signal` kills the command inside the
 * container. When a consumer stops pulling, the command is paused by
 * backpressure, so memory stays flat however much it prints.
 */
export class AsyncExecStream<T extends string | Buffer = string> implements AsyncIterable<StreamChunk<T>> {
  readonly #native: NativeExecStream
  readonly #signal: AbortSignal | undefined
  #result: ExecResult<T> | undefined
  #iterated = false

  readonly #onAbort = () => this.#native.cancel()

  /** @internal Use `container.run(cmd, { stream: true })`. */
  constructor(native: NativeExecStream, signal?: AbortSignal) {
    this.#native = native
    this.#signal = signal
    if (signal?.aborted) native.cancel()
    else signal?.addEventListener('abort', this.#onAbort, { once: true })
  }

  /**
   * The command's outcome, once iteration has ended. Its `stdout`/`stderr` are
   * empty: the output went through the iterator and is not kept.
   */
  get result(): ExecResult<T> {
    if (!this.#result) throw new Error('stream.result is available once the for-await loop over the stream has ended')
    return this.#result
  }

  /** Kills the command inside the container; iteration then ends. */
  cancel(): void {
    this.#native.cancel()
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<StreamChunk<T>, void, undefined> {
    if (this.#iterated) throw new Error('an AsyncExecStream can be iterated only once')
    this.#iterated = true
    try {
      for (;;) {
        const batch = await callNative(() => this.#native.next())
        if (batch === null) break
        for (const chunk of batch) yield chunk as StreamChunk<T>
      }
      this.#result = new ExecResult<T>(await callNative(() => this.#native.result()))
    } finally {
      this.#signal?.removeEventListener('abort', this.#onAbort)
      if (!this.#result) {
        // Left early: kill the command and keep its outcome.
        this.#native.cancel()
        this.#result = new ExecResult<T>(await callNative(() => this.#native.result()))
      }
    }
    if (this.#signal?.aborted) throw new AbortError(this.#signal.reason, this.#result)
  }

  /**
   * A Node `Readable` of the output (`'both'` streams interleaved, or only
   * `'stdout'`/`'stderr'`), for `pipeline()`. Destroying it kills the command.
   */
  toReadable(which: 'stdout' | 'stderr' | 'both' = 'both'): Readable {
    const source = this
    async function* text() {
      for await (const chunk of source) if (which === 'both' || chunk.stream === which) yield chunk.data
    }
    return Readable.from(text(), { objectMode: false })
  }
}
