import * as native from '../binding.js'
import { AsyncContainer } from './container'
import { argTypeError, callNative, callNativeSync } from './errors'
import type { PoolOptions } from './types'
import { checkObject } from './validate'

/**
 * A warm pool of started containers, all made with the same options: see
 * {@link createPool}. Close it (or `await using` it) to remove the containers
 * it still holds; the ones handed out are yours, to shut down as usual.
 */
export class AsyncPool {
  readonly #native: native.NativePool

  /** @internal */
  constructor(nativePool: native.NativePool) {
    this.#native = nativePool
  }

  /** How many containers the pool keeps warm. */
  get size(): number {
    return this.#native.size
  }

  /** How many started containers are ready to be handed out right now. */
  get available(): number {
    return this.#native.available
  }

  /**
   * A started container: at once when one is warm, else when the next one is
   * ready; the pool refills in the background. When nothing is warm and the
   * pool's last creation failed, rejects with that error (a missing image,
   * say); after {@link AsyncPool.close}, with `PoolClosed`.
   */
  async acquire(): Promise<AsyncContainer> {
    return new AsyncContainer(await callNative(() => this.#native.acquire()))
  }

  /**
   * Stops refilling, waits for the creations in flight and shuts down every
   * container not handed out. Later `acquire()` calls reject with
   * `PoolClosed`. Safe to call twice.
   */
  async close(): Promise<void> {
    await callNative(() => this.#native.close())
  }

  /** `close()`: enables `await using pool = createPool(…)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/** Checks `createPool`'s options and starts a native pool (shared with the sync facade). */
export function startPool(opts: PoolOptions, fn: string): native.NativePool {
  checkObject(opts, `${fn}(opts)`)
  const { size, ...create } = opts
  if (typeof size !== 'number' || !Number.isInteger(size)) {
    throw argTypeError(`${fn}(opts): size must be a whole number of containers, got ${JSON.stringify(size)}`)
  }
  return callNativeSync(() => native.createPool(size, create as Parameters<typeof native.createPool>[1]))
}

/**
 * Starts a warm pool of `size` containers created with the other options,
 * as {@link createNewContainer} would (options are checked at once: bad
 * input throws a `TypeError`/`RangeError` and starts nothing). Containers are
 * created in the background, up to `size` at a time; each
 * {@link AsyncPool.acquire} takes one and starts a replacement. Pooled
 * containers are ordinary ephemeral containers: they end with this process
 * even if it is killed.
 *
 * ```ts
 * await using pool = createPool({ size: 4, memLimit: '256m', network: false })
 * await using c = await pool.acquire()
 * console.log((await c.run('echo hi')).stdout)
 * ```
 */
export function createPool(opts: PoolOptions): AsyncPool {
  return new AsyncPool(startPool(opts, 'createPool'))
}
