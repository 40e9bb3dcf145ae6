// Builds (or removes) pocket-dock's offline test image on one engine: Debian's
// static busybox as a `FROM scratch` image (see test-image-context.sh).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const here = dirname(fileURLToPath(import.meta.url))
const native = createRequire(import.meta.url)('../binding.js')

/** The tag the tests and the demo use. */
export const TEST_IMAGE = 'pocket-dock-test/busybox:latest'

/** Builds `tag` on the engine at `socketPath` unless it is there already. */
export async function ensureImage(tag = TEST_IMAGE, socketPath = undefined) {
  if (await native.internal.imageExists(tag, socketPath)) return false
  const dir = mkdtempSync(join(tmpdir(), 'pd-image-'))
  try {
    execFileSync('bash', [join(here, 'test-image-context.sh'), dir], { stdio: 'inherit' })
    await native.buildImage({ context: dir, tag, socketPath })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return true
}

export async function removeImage(tag = TEST_IMAGE, socketPath = undefined) {
  if (await native.internal.imageExists(tag, socketPath)) await native.removeImage(tag, true, socketPath)
}
