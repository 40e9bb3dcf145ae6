// pocket-dock side by side with its peers on the same engine, in one run:
// exec round trip, create → first command → remove, 10 containers at once,
// streaming, files, detached output, and images (pull, export and import).
//
//   npm run bench                 every engine that answers (Docker, Podman)
//   BENCH_QUICK=1 npm run bench   one engine, fewer iterations, smaller payloads (< 60 s)
//   BENCH_ONLY=<section> …        one section: exec, lifecycle, concurrency, streaming, files, detached, images, run-options
//   POCKET_DOCK_SOCKET=… npm run bench   one engine
//
// Peers: dockerode (the usual Node SDK), the engine's own CLI (`docker` /
// `podman`) and raw bollard (bench/raw-bollard: the same operations straight
// on bollard, the floor for any client of the engine's socket). The timed
// sections interleave the tools (see lib/measure.mjs) so drift in the
// machine's load hits all of them alike; the heavy ones run each measurement
// in a fresh process so its RSS and CPU are its own. Each section
// (sections/<name>.mjs) returns its table, rendered by lib/report.mjs with
// the ratios to the fastest and to raw bollard. Writes bench/RESULTS.md.
import { existsSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, totalmem } from 'node:os'
import Docker from 'dockerode'
import { ensureImage, removeImage } from '../scripts/test-image.mjs'
import { engineCli } from './lib/cli.mjs'
import { removePeers } from './lib/peers.mjs'
import { RawBollard } from './lib/raw-bollard.mjs'
import { concurrency } from './sections/concurrency.mjs'
import { detached } from './sections/detached.mjs'
import { exec } from './sections/exec.mjs'
import { files } from './sections/files.mjs'
import { images } from './sections/images.mjs'
import { lifecycle } from './sections/lifecycle.mjs'
import { runOptions } from './sections/run-options.mjs'
import { streaming } from './sections/streaming.mjs'

const require = createRequire(import.meta.url)
const native = require('../binding.js')
const IMAGE = 'pocket-dock-bench/busybox:latest'
const SECTIONS = { exec, lifecycle, concurrency, streaming, files, detached, images, 'run-options': runOptions }
const quick = !!process.env.BENCH_QUICK
/** BENCH_ONLY=<section> runs one section (results in RESULTS.<section>.md). */
const only = process.env.BENCH_ONLY
if (only && !Object.hasOwn(SECTIONS, only)) {
  console.error(`BENCH_ONLY=${only}: no such section (${Object.keys(SECTIONS).join(', ')})`)
  process.exit(2)
}

/** Every wanted section on the engine at `socketPath`; its part of the results. */
async function benchEngine(socketPath) {
  const engine = await native.internal.engineInfo(socketPath)
  await ensureImage(IMAGE, socketPath)
  const dockerode = new Docker({ socketPath })
  const header = `### ${engine.kind} ${engine.version} (API ${engine.apiVersion}) at ${socketPath}\n`
  console.log(header)
  const out = [header]
  const raw = new RawBollard(socketPath)
  const context = { socketPath, image: IMAGE, quick, dockerode, raw, cli: engineCli(engine.kind, socketPath) }
  try {
    for (const [name, section] of Object.entries(SECTIONS)) {
      if (only && only !== name) continue
      const table = await section(context)
      console.log(table)
      out.push(table)
    }
  } finally {
    raw.close()
    await removePeers(dockerode)
    await removeImage(IMAGE, socketPath)
  }
  return out.join('\n')
}

const found = process.env.POCKET_DOCK_SOCKET
  ? [process.env.POCKET_DOCK_SOCKET]
  : ['/var/run/docker.sock', '/run/podman/podman.sock'].filter((s) => existsSync(s))
// Quick mode measures one engine, so the whole run stays under a minute.
const sockets = quick ? found.slice(0, 1) : found
const engines = []
for (const s of sockets) {
  try {
    engines.push(await benchEngine(s))
  } catch (e) {
    console.error(`skipping ${s}: ${e.message}`)
  }
}
const versions = `pocket-dock ${require('../package.json').version} (release build), dockerode ${require('dockerode/package.json').version}, Node ${process.version}`
const results = [
  '# Benchmark results',
  '',
  `Date: ${new Date().toISOString()}  `,
  `Versions: ${versions}  `,
  `Command: \`${quick ? 'BENCH_QUICK=1 ' : ''}${only ? `BENCH_ONLY=${only} ` : ''}npm run bench\` (bench/run.mjs)  `,
  `Machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  '',
  ...engines,
].join('\n')
// A quick run never overwrites the full results.
const suffix = [quick && 'quick', only]
  .filter(Boolean)
  .map((p) => `.${p}`)
  .join('')
writeFileSync(new URL(`./RESULTS${suffix}.md`, import.meta.url), results + '\n')
console.log(`wrote bench/RESULTS${suffix}.md`)
