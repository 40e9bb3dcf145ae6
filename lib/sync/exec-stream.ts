import type { NativeExecStream } from '../../binding.js'
import { callNativeSync } from '../errors'
import { ExecResult } from '../exec-result'
import type { StreamChunk } from '../exec-stream'

/**
 * The sync facade of {@link AsyncExecStream}: `for (const chunk of stream)`
 * blocks for each piece of output; leaving the loop early kills the command;
 * `stream.result` is the {@link ExecResult} once the loop has ended.
 */
export class ExecStream<T extends string | Buffer = string> implements Iterable<StreamChunk<T>> {
  readonly #native: NativeExecStream
  #result: ExecResult<T> | undefined
  #iterated = false

  /** @internal Use `container.run(cmd, { stream: true })`. */
  constructor(native: NativeExecStream) {
    this.#native = native
  }

  get result(): ExecResult<T> {
    if (!this.#result) throw new Error('stream.result is available once the for-of loop over the stream has ended')
    return this.#result
  }

  cancel(): void {
    this.#native.cancel()
  }

  *[Symbol.iterator](): Generator<StreamChunk<T>, void, undefined> {
    if (this.#iterated) throw new Error('an ExecStream can be iterated only once')
    this.#iterated = true
    try {
      for (let batch = this.#native.nextSync(); batch !== null; batch = this.#native.nextSync()) {
        for (const chunk of batch) yield chunk as StreamChunk<T>
      }
      this.#result = new ExecResult<T>(callNativeSync(() => this.#native.resultSync()))
    } finally {
      // Left early (`break`, a throw): kill the command, then take its result.
      if (!this.#result) {
        this.#native.cancel()
        this.#result = new ExecResult<T>(callNativeSync(() => this.#native.resultSync()))
      }
    }
  }
}
