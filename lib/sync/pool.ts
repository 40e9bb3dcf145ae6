import type * as native from '../../binding.js'
import { callNativeSync } from '../errors'
import { startPool } from '../pool'
import type { PoolOptions } from '../types'
import { Container } from './container'

/** {@inheritDoc async!AsyncPool} */
export class Pool {
  readonly #native: native.NativePool

  /** @internal */
  constructor(nativePool: native.NativePool) {
    this.#native = nativePool
  }

  /** {@inheritDoc async!AsyncPool.size} */
  get size(): number {
    return this.#native.size
  }

  /** {@inheritDoc async!AsyncPool.available} */
  get available(): number {
    return this.#native.available
  }

  /** {@inheritDoc async!AsyncPool.acquire} */
  acquire(): Container {
    return new Container(callNativeSync(() => this.#native.acquireSync()))
  }

  /** {@inheritDoc async!AsyncPool.close} */
  close(): void {
    callNativeSync(() => this.#native.closeSync())
  }

  /** `close()`: enables `using pool = createPool(…)`. */
  [Symbol.dispose](): void {
    this.close()
  }
}

/** {@inheritDoc async!createPool} */
export function createPool(opts: PoolOptions): Pool {
  return new Pool(startPool(opts, 'createPool'))
}
