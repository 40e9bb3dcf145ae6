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

/** The engine under test (`docker` or `podman`). */
export async function engineKind(): Promise<'docker' | 'podman'> {
  return (await native.internal.engineInfo(socketPath)).kind as 'docker' | 'podman'
}

/**
 * Runs the engine's own CLI (`docker` or `podman`, on the engine under test):
 * an independent witness of what is on the engine. Returns stdout.
 */
export async function engineCli(args: string[], input?: string): Promise<string> {
  const { execFileSync } = await import('node:child_process')
  const kind = await engineKind()
  const sock = (await native.internal.engineInfo(socketPath)).socketPath
  // Podman's CLI works on the same storage as its API service.
  const full = kind === 'docker' ? ['-H', `unix://${sock}`, ...args] : args
  return execFileSync(kind, full, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] })
}

/** Writes `files` (relative path → content; `{ link }` for a symlink, `{ mode }` for a mode) under a new temp dir. */
export function makeDir(files: Record<string, string | { content?: string; link?: string; mode?: number }>): string {
  const { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, chmodSync } =
    require('node:fs') as typeof import('node:fs')
  const { join, dirname } = require('node:path') as typeof import('node:path')
  const { tmpdir } = require('node:os') as typeof import('node:os')
  const root = mkdtempSync(join(tmpdir(), 'pd-ctx-'))
  for (const [rel, spec] of Object.entries(files)) {
    const path = join(root, rel)
    mkdirSync(dirname(path), { recursive: true })
    if (typeof spec === 'object' && spec.link !== undefined) {
      symlinkSync(spec.link, path)
      continue
    }
    writeFileSync(path, typeof spec === 'string' ? spec : (spec.content ?? ''))
    if (typeof spec === 'object' && spec.mode !== undefined) chmodSync(path, spec.mode)
  }
  return root
}

/** The first line a spawned fixture prints; rejects if it exits first (`what` says what it was doing). */
export function firstLine(child: import('node:child_process').ChildProcess, what: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (d) => {
      out += d
      if (out.includes('\n')) resolve(out.split('\n')[0])
    })
    child.on('exit', (code) => reject(new Error(`fixture exited with ${code} before ${what}`)))
  })
}
