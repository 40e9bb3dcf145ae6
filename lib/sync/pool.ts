import type * as native from '../../binding.js'
import { callNativeSync } from '../errors'
import { startPool } from '../pool'
import type { PoolOptions } from '../types'
import { Container } from './container'

/** {@inheritDoc index!AsyncPool} */
export class Pool {
  readonly #native: native.NativePool

  /** @internal */
  constructor(nativePool: native.NativePool) {
    this.#native = nativePool
  }

  /** {@inheritDoc index!AsyncPool#size} */
  get size(): number {
    return this.#native.size
  }

  /** {@inheritDoc index!AsyncPool#available} */
  get available(): number {
    return this.#native.available
  }

  /** {@inheritDoc index!AsyncPool#acquire} */
  acquire(): Container {
    return new Container(callNativeSync(() => this.#native.acquireSync()))
  }

  /** {@inheritDoc index!AsyncPool#close} */
  close(): void {
    callNativeSync(() => this.#native.closeSync())
  }

  /** `close()`: enables `using pool = createPool(…)`. */
  [Symbol.dispose](): void {
    this.close()
  }
}

/** {@inheritDoc index!createPool} */
export function createPool(opts: PoolOptions): Pool {
  return new Pool(startPool(opts, 'createPool'))
}
