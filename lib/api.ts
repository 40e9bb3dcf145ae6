import { createContainer } from '../binding.js'
import { AsyncContainer } from './container'
import { callNative } from './errors'
import type { CreateOptions } from './types'

/**
 * Creates and starts a container sandbox. Options are checked before the
 * engine is contacted: bad input rejects with a `TypeError`/`RangeError` and
 * leaves nothing behind.
 */
export async function createNewContainer(opts: CreateOptions = {}): Promise<AsyncContainer> {
  if (opts === null || typeof opts !== 'object') {
    throw new TypeError('createNewContainer(opts): opts must be an object')
  }
  const native = await callNative(() => createContainer(opts as Parameters<typeof createContainer>[0]))
  return new AsyncContainer(native)
}
