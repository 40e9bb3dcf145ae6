// Shared set-up of the API tests: the engine under test (POCKET_DOCK_SOCKET,
// set by scripts/test.mjs) and the offline busybox test image it built.
import { createRequire } from 'node:module'
import { createNewContainer, type AsyncContainer, type CreateOptions } from 'pocket-dock'

export const socketPath = process.env.POCKET_DOCK_SOCKET || undefined
export const IMAGE = 'pocket-dock-test/busybox:latest'
/** The generated binding, for test fixtures only (removing containers behind a handle's back). */
export const native = createRequire(__filename)('../binding.js') as typeof import('../binding.js')

/** Options for a test container: the test image, the engine under test, a test label. */
export function testOptions(extra: CreateOptions = {}): CreateOptions {
  return { image: IMAGE, socketPath, ...extra, labels: { 'pocket-dock-test': 'js', ...extra.labels } }
}

export function newContainer(extra: CreateOptions = {}) {
  return createNewContainer(testOptions(extra))
}

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/** Whether a process whose command line contains `needle` runs in `c` (`ps` itself aside). */
export async function running(c: AsyncContainer, needle: string): Promise<boolean> {
  const ps = await c.run('ps -o args')
  return ps.stdout.split('\n').some((l) => l.includes(needle) && !l.includes('ps -o args'))
}
