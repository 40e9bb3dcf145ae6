// pocket-dock side by side with its peers on the same engine, in one
// interleaved run: exec round trip, create → first command → remove, 10
// containers at once, streaming, files, and detached output.
//
//   npm run bench                 every engine that answers (Docker, Podman)
//   BENCH_QUICK=1 npm run bench   one engine, fewer iterations, smaller payloads (< 60 s)
//   BENCH_ONLY=<section> …        one section: exec, lifecycle, concurrency, streaming, files, detached
//   POCKET_DOCK_SOCKET=… npm run bench   one engine
//
// Peers: dockerode (the usual Node SDK), the engine's own CLI (`docker` /
// `podman`) and raw bollard (bench/raw-bollard: the same operations straight
// on bollard, the floor for any client of the engine's socket). Each
// iteration runs every tool once, in a rotating order, so drift in the
// machine's load hits all of them alike. Reports median, min, max and the
// ratios of each median to the fastest and to raw bollard. Writes
// bench/RESULTS.md.
import { execFile, spawn } from 'node:child_process'
import { writeFileSync, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import Docker from 'dockerode'
import { createNewContainer } from 'pocket-dock'
import { ensureImage, removeImage } from '../scripts/test-image.mjs'

const require = createRequire(import.meta.url)
const native = require('../binding.js')
const run = promisify(execFile)
const IMAGE = 'pocket-dock-bench/busybox:latest'
const quick = !!process.env.BENCH_QUICK
/** BENCH_ONLY=<section> runs one section (results in RESULTS.<section>.md). */
const only = process.env.BENCH_ONLY
const wanted = (section) => !only || only === section
const EXEC_N = quick ? 20 : 200
const LIFE_N = quick ? 4 : 30
const CONC_N = quick ? 1 : 3
const STREAM_BYTES = quick ? 32 * 2 ** 20 : 2 ** 30
const STREAM_N = quick ? 1 : 3
const FILE_BYTES = (quick ? 16 : 64) * 2 ** 20
const FILE_N = quick ? 1 : 5
const DETACH_SECS = quick ? 2 : 10
const RAW_BIN = new URL('../target/raw/raw-bollard', import.meta.url).pathname
const RAW = 'raw bollard'

/**
 * The raw-bollard baseline, as a long-lived child process that times each
 * operation itself (so the pipe to it is not counted): one JSON line per
 * request, one per answer.
 */
class RawBollard {
  constructor(socketPath) {
    this.child = spawn(RAW_BIN, [socketPath], { stdio: ['pipe', 'pipe', 'inherit'] })
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]()
  }
  async request(req) {
    this.child.stdin.write(JSON.stringify(req) + '\n')
    const { value } = await this.lines.next()
    const answer = JSON.parse(value)
    if (answer.error) throw new Error(`raw bollard: ${answer.error}`)
    return answer
  }
  close() {
    this.child.stdin.end()
  }
}
const KEEPALIVE = ['/bin/sh', '-c', "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"]

/** Marks the peers' containers, so a run that fails midway still removes them all. */
const PEER_LABEL = 'pocket-dock-bench=peer'

/** A running container for dockerode and the CLI: the same image, keep-alive and init as pocket-dock's. */
function peerContainer(dockerode) {
  return dockerode.createContainer({
    Image: IMAGE,
    Entrypoint: KEEPALIVE,
    HostConfig: { Init: true },
    Labels: { 'pocket-dock-bench': 'peer' },
  })
}

async function removePeers(dockerode) {
  const left = await dockerode.listContainers({ all: true, filters: { label: [PEER_LABEL] } })
  for (const c of left) await dockerode.getContainer(c.Id).remove({ force: true })
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
/** Milliseconds `fn` took, or the number it returns (a tool that times itself). */
async function time(fn) {
  const t = performance.now()
  const r = await fn()
  return typeof r === 'number' ? r : performance.now() - t
}

/** Runs every tool's `fn` once per iteration in rotating order; returns samples per tool. */
async function interleave(tools, n, warmup, fn) {
  const samples = Object.fromEntries(tools.map((t) => [t.name, []]))
  for (let i = 0; i < warmup + n; i++) {
    for (let k = 0; k < tools.length; k++) {
      const tool = tools[(i + k) % tools.length]
      const ms = await time(() => fn(tool))
      if (i >= warmup) samples[tool.name].push(ms)
    }
  }
  return samples
}

function table(title, samples) {
  const rows = Object.entries(samples).map(([name, xs]) => ({
    name,
    med: median(xs),
    min: Math.min(...xs),
    max: Math.max(...xs),
  }))
  const best = Math.min(...rows.map((r) => r.med))
  const raw = rows.find((r) => r.name === RAW)?.med
  const lines = [
    `#### ${title}`,
    '',
    '| tool | median ms | min ms | max ms | ratio to fastest | ratio to raw bollard |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.med.toFixed(1)} | ${r.min.toFixed(1)} | ${r.max.toFixed(1)} | ${(r.med / best).toFixed(3)} | ${raw ? (r.med / raw).toFixed(3) : 'n/a'} |`,
    ),
    '',
  ]
  console.log(lines.join('\n'))
  return lines.join('\n')
}

/** dockerode: exec create + start (hijacked, demuxed) + inspect for the exit code. */
async function dockerodeExec(container, cmd) {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true })
  const stream = await exec.start({ hijack: true, stdin: false })
  const chunks = []
  await new Promise((resolve, reject) => {
    const sink = { write: (b) => chunks.push(b) }
    container.modem.demuxStream(stream, sink, sink)
    stream.on('end', resolve)
    stream.on('error', reject)
  })
  const info = await exec.inspect()
  if (info.ExitCode !== 0 || Buffer.concat(chunks).toString() !== 'hi\n') throw new Error('dockerode exec failed')
}

async function benchEngine(socketPath) {
  const engine = await native.engineInfo(socketPath)
  const cli = engine.kind === 'podman' ? 'podman' : 'docker'
  const cliEnv = { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? '/etc/containers/pocket-dock.conf' }
  const cliArgs = engine.kind === 'podman' ? ['--url', `unix://${socketPath}`] : ['-H', `unix://${socketPath}`]
  const cliRun = (args) => run(cli, [...cliArgs, ...args], { env: cliEnv })
  await ensureImage(IMAGE, socketPath)
  const dockerode = new Docker({ socketPath })
  const header = `### ${engine.kind} ${engine.version} (API ${engine.apiVersion}) at ${socketPath}\n`
  console.log(header)
  const out = [header]

  const raw = new RawBollard(socketPath)
  try {
    if (wanted('exec')) out.push(await benchExec(socketPath, cli, cliRun, dockerode, raw))
    if (wanted('lifecycle')) out.push(await benchLifecycle(socketPath, cli, cliRun, dockerode, raw))
    if (wanted('concurrency')) out.push(await benchConcurrency(socketPath, cli, cliRun, dockerode, raw))
    if (wanted('streaming')) out.push(await benchStreaming(socketPath, cli, cliRun, dockerode))
    if (wanted('files')) out.push(await benchFiles(socketPath, cli, cliRun, dockerode))
    if (wanted('detached')) out.push(await benchDetached(socketPath, dockerode))
  } finally {
    raw.close()
    await removePeers(dockerode)
    await removeImage(IMAGE, socketPath)
  }
  return out.join('\n')
}

/** Exec round trip on one running container per tool. */
async function benchExec(socketPath, cli, cliRun, dockerode, raw) {
  const pd = await createNewContainer({ image: IMAGE, socketPath })
  const dc = await peerContainer(dockerode)
  await dc.start()
  try {
    const tools = [
      { name: 'pocket-dock', exec: async () => { const r = await pd.run('echo hi'); if (r.stdout !== 'hi\n') throw new Error(r.stderr) } }, // prettier-ignore
      { name: 'dockerode', exec: () => dockerodeExec(dc, ['/bin/sh', '-c', 'echo hi']) },
      { name: `${cli} CLI`, exec: () => cliRun(['exec', dc.id, '/bin/sh', '-c', 'echo hi']) },
      { name: RAW, exec: async () => (await raw.request({ op: 'exec', container: dc.id })).ms },
    ]
    const samples = await interleave(tools, EXEC_N, quick ? 3 : 10, (t) => t.exec())
    return table(`exec round trip: \`echo hi\`, ${EXEC_N} iterations`, samples)
  } finally {
    await pd.shutdown({ force: true })
    await dc.remove({ force: true })
  }
}

/** Lifecycle: create → start → first command → remove. */
async function benchLifecycle(socketPath, cli, cliRun, dockerode, raw) {
  const lifecycle = [
    {
      name: 'pocket-dock',
      go: async () => {
        const c = await createNewContainer({ image: IMAGE, socketPath })
        await c.run('echo hi')
        await c.shutdown({ force: true })
      },
    },
    {
      name: 'dockerode',
      go: async () => {
        const c = await peerContainer(dockerode)
        await c.start()
        await dockerodeExec(c, ['/bin/sh', '-c', 'echo hi'])
        await c.remove({ force: true })
      },
    },
    {
      name: `${cli} CLI`,
      go: async () => {
        const { stdout } = await cliRun([
          'run',
          '-d',
          '--init',
          '--label',
          PEER_LABEL,
          '--entrypoint',
          '/bin/sh',
          IMAGE,
          '-c',
          KEEPALIVE[2],
        ])
        const id = stdout.trim()
        await cliRun(['exec', id, '/bin/sh', '-c', 'echo hi'])
        await cliRun(['rm', '-f', id])
      },
    },
    { name: RAW, go: async () => (await raw.request({ op: 'lifecycle', image: IMAGE })).ms },
  ]
  const samples = await interleave(lifecycle, LIFE_N, 1, (t) => t.go())
  return table(`lifecycle: create → start → \`echo hi\` → remove, ${LIFE_N} iterations`, samples)
}

/** Concurrency: 10 containers at once, each `sleep 2 && echo done`; wall time of the whole batch. */
async function benchConcurrency(socketPath, cli, cliRun, dockerode, raw) {
  const N = 10
  const CMD = 'sleep 2 && echo done'
  const batch = (one) => Promise.all(Array.from({ length: N }, one))
  const tools = [
    {
      name: 'pocket-dock',
      go: () =>
        batch(async () => {
          const c = await createNewContainer({ image: IMAGE, socketPath })
          const r = await c.run(CMD)
          await c.shutdown({ force: true })
          if (r.stdout !== 'done\n') throw new Error('pocket-dock: wrong output')
        }),
    },
    {
      name: 'dockerode',
      go: () =>
        batch(async () => {
          const c = await peerContainer(dockerode)
          await c.start()
          const exec = await c.exec({ Cmd: ['/bin/sh', '-c', CMD], AttachStdout: true, AttachStderr: true })
          const stream = await exec.start({ hijack: true, stdin: false })
          await new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject).resume())
          await c.remove({ force: true })
        }),
    },
    {
      name: `${cli} CLI`,
      go: () =>
        batch(() =>
          cliRun(['run', '--rm', '--init', '--label', PEER_LABEL, '--entrypoint', '/bin/sh', IMAGE, '-c', CMD]),
        ),
    },
    { name: RAW, go: async () => (await raw.request({ op: 'concurrency', image: IMAGE, n: N })).ms },
  ]
  const samples = await interleave(tools, CONC_N, 0, (t) => t.go())
  return table(`concurrency: ${N} containers at once, each \`${CMD}\`, wall time, ${CONC_N} iteration(s)`, samples)
}

/** Runs each tool `n` times in turn; every run must report `bytes` moved. */
async function runsOf(tools, n, bytes) {
  const samples = Object.fromEntries(Object.keys(tools).map((k) => [k, []]))
  for (let i = 0; i < n; i++) {
    for (const name of Object.keys(tools)) {
      const r = await tools[name]()
      if (r.bytes !== bytes) throw new Error(`${name} moved ${r.bytes} of ${bytes} bytes`)
      samples[name].push(r)
    }
  }
  return samples
}

/**
 * Streaming: STREAM_BYTES of output through each tool, each run in a fresh
 * process (bench/stream-worker.mjs) so its peak RSS and CPU are its own; the
 * CLI's output goes to /dev/null and its CPU is read with bash's `times`.
 */
async function benchStreaming(socketPath, cli, cliRun, dockerode) {
  const dc = await peerContainer(dockerode)
  await dc.start()
  const worker = new URL('./stream-worker.mjs', import.meta.url).pathname
  const cmd = `head -c ${STREAM_BYTES} /dev/zero | tr '\\0' a`
  const tools = {
    'pocket-dock': async () =>
      JSON.parse(
        (
          await run(process.execPath, [worker, 'pocket-dock', socketPath, IMAGE, String(STREAM_BYTES)], {
            maxBuffer: 1 << 20,
          })
        ).stdout,
      ),
    dockerode: async () =>
      JSON.parse((await run(process.execPath, [worker, 'dockerode', socketPath, dc.id, String(STREAM_BYTES)])).stdout),
    [RAW]: async () => {
      const fresh = new RawBollard(socketPath)
      try {
        return await fresh.request({ op: 'stream', container: dc.id, bytes: STREAM_BYTES })
      } finally {
        fresh.close()
      }
    },
    [`${cli} CLI`]: async () => {
      const flag = cli === 'podman' ? `--url unix://${socketPath}` : `-H unix://${socketPath}`
      const t0 = performance.now()
      const { stdout } = await run('bash', ['-c', `${cli} ${flag} exec ${dc.id} /bin/sh -c "${cmd}" | wc -c; times`], {
        env: { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? '/etc/containers/pocket-dock.conf' },
      })
      const seconds = (performance.now() - t0) / 1000
      const [bytes, , children] = stdout.trim().split('\n')
      const secs = (t) => t.split(/\s+/).reduce((sum, v) => { const m = /(\d+)m([\d.]+)s/.exec(v); return sum + (m ? +m[1] * 60 + +m[2] : 0) }, 0) // prettier-ignore
      return { seconds, bytes: Number(bytes), cpuSeconds: secs(children) }
    },
  }
  let samples
  try {
    samples = await runsOf(tools, STREAM_N, STREAM_BYTES)
  } finally {
    await dc.remove({ force: true })
  }
  const mib = STREAM_BYTES / 2 ** 20
  const rows = Object.entries(samples).map(([name, rs]) => {
    const pick = (f) => median(rs.map(f))
    return {
      name,
      mbps: pick((r) => mib / r.seconds),
      cpu: pick((r) => r.cpuSeconds / (mib / 1024)),
      idle: rs[0].idleRssMiB,
      grow: rs[0].idleRssMiB === undefined ? undefined : pick((r) => r.peakRssMiB - r.idleRssMiB),
    }
  })
  const best = Math.max(...rows.map((r) => r.mbps))
  const raw = rows.find((r) => r.name === RAW).mbps
  const f = (x, d = 1) => (x === undefined ? 'n/a' : x.toFixed(d))
  const lines = [
    `#### streaming: ${mib} MiB of output, ${STREAM_N} run(s) each, medians`,
    '',
    '| tool | MiB/s | ratio to fastest | ratio to raw bollard | client CPU s per GiB | idle RSS MiB | peak RSS growth MiB |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${f(r.mbps)} | ${f(r.mbps / best, 3)} | ${f(r.mbps / raw, 3)} | ${f(r.cpu, 2)} | ${f(r.idle)} | ${f(r.grow)} |`,
    ),
    '',
  ]
  console.log(lines.join('\n'))
  return lines.join('\n')
}

/**
 * Files: put then get of a 64 MiB file through each tool, each run in a fresh
 * process (bench/files-worker.mjs) for its peak RSS; `docker cp` both ways
 * for the CLI.
 */
async function benchFiles(socketPath, cli, cliRun, dockerode) {
  const { mkdtempSync, rmSync, statSync } = await import('node:fs')
  const { join } = await import('node:path')
  const { tmpdir } = await import('node:os')
  const work = mkdtempSync(join(tmpdir(), 'pd-bench-files-'))
  const file = join(work, 'payload.bin')
  await run('sh', ['-c', `head -c ${FILE_BYTES} /dev/urandom > '${file}'`])
  const dc = await peerContainer(dockerode)
  await dc.start()
  const worker = new URL('./files-worker.mjs', import.meta.url).pathname
  const fresh = () => mkdtempSync(join(work, 'out-'))
  const tools = {
    'pocket-dock': async () =>
      JSON.parse((await run(process.execPath, [worker, 'pocket-dock', socketPath, IMAGE, file, fresh()])).stdout),
    dockerode: async () =>
      JSON.parse((await run(process.execPath, [worker, 'dockerode', socketPath, dc.id, file, fresh()])).stdout),
    [`${cli} cp`]: async () => {
      const out = fresh()
      let t = performance.now()
      await cliRun(['cp', file, `${dc.id}:/tmp/payload.bin`])
      const putSeconds = (performance.now() - t) / 1000
      t = performance.now()
      await cliRun(['cp', `${dc.id}:/tmp/payload.bin`, join(out, 'payload.bin')])
      return { putSeconds, getSeconds: (performance.now() - t) / 1000, bytes: statSync(join(out, 'payload.bin')).size }
    },
  }
  let samples
  try {
    samples = await runsOf(tools, FILE_N, FILE_BYTES)
  } finally {
    await dc.remove({ force: true })
    rmSync(work, { recursive: true, force: true })
  }
  const mib = FILE_BYTES / 2 ** 20
  const rows = Object.entries(samples).map(([name, rs]) => ({
    name,
    put: median(rs.map((r) => mib / r.putSeconds)),
    get: median(rs.map((r) => mib / r.getSeconds)),
    grow: rs[0].idleRssMiB === undefined ? undefined : median(rs.map((r) => r.peakRssMiB - r.idleRssMiB)),
  }))
  const bestPut = Math.max(...rows.map((r) => r.put))
  const bestGet = Math.max(...rows.map((r) => r.get))
  const f = (x, d = 1) => (x === undefined ? 'n/a' : x.toFixed(d))
  const lines = [
    `#### files: put and get of a ${mib} MiB file, ${FILE_N} run(s) each, medians`,
    '',
    '| tool | put MiB/s | put ratio to fastest | get MiB/s | get ratio to fastest | peak RSS growth MiB |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${f(r.put)} | ${f(r.put / bestPut, 3)} | ${f(r.get)} | ${f(r.get / bestGet, 3)} | ${f(r.grow)} |`,
    ),
    '',
  ]
  console.log(lines.join('\n'))
  return lines.join('\n')
}

/**
 * Detached: a command prints 1 MiB/s for DETACH_SECS seconds into the
 * client's newest-1-MiB buffer; client CPU, and RSS sampled each second (it
 * must stay flat). Each run in a fresh process (bench/detached-worker.mjs).
 */
async function benchDetached(socketPath, dockerode) {
  const dc = await peerContainer(dockerode)
  await dc.start()
  const worker = new URL('./detached-worker.mjs', import.meta.url).pathname
  const once = async (tool, target) =>
    JSON.parse((await run(process.execPath, [worker, tool, socketPath, target, String(DETACH_SECS)])).stdout)
  const results = {}
  try {
    for (const [tool, target] of [
      ['pocket-dock', IMAGE],
      ['dockerode', dc.id],
    ]) {
      results[tool] = await once(tool, target)
      if (results[tool].bytes !== 2 ** 20) throw new Error(`${tool} kept ${results[tool].bytes} bytes, not 1 MiB`)
    }
  } finally {
    await dc.remove({ force: true })
  }
  const lines = [
    `#### detached: 1 MiB/s of output for ${DETACH_SECS} s into a 1 MiB buffer`,
    '',
    '| tool | client CPU s | RSS after 1 s MiB | RSS at end MiB | growth after 1 s MiB |',
    '|---|---:|---:|---:|---:|',
    ...Object.entries(results).map(([name, r]) => {
      const first = r.rssMiB[0]
      const last = r.rssMiB[r.rssMiB.length - 1]
      return `| ${name} | ${r.cpuSeconds.toFixed(2)} | ${first.toFixed(1)} | ${last.toFixed(1)} | ${(last - first).toFixed(1)} |`
    }),
    '',
  ]
  console.log(lines.join('\n'))
  return lines.join('\n')
}

const found = process.env.POCKET_DOCK_SOCKET
  ? [process.env.POCKET_DOCK_SOCKET]
  : ['/var/run/docker.sock', '/run/podman/podman.sock'].filter((s) => existsSync(s))
// Quick mode measures one engine, so the whole run stays under a minute.
const sockets = quick ? found.slice(0, 1) : found
const sections = []
for (const s of sockets) {
  try {
    sections.push(await benchEngine(s))
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
  `Machine: ${require('node:os').cpus().length} cores, ${(require('node:os').totalmem() / 2 ** 30).toFixed(0)} GiB`,
  '',
  ...sections,
].join('\n')
// A quick run never overwrites the full results.
const suffix = [quick && 'quick', only]
  .filter(Boolean)
  .map((p) => `.${p}`)
  .join('')
writeFileSync(new URL(`./RESULTS${suffix}.md`, import.meta.url), results + '\n')
console.log(`wrote bench/RESULTS${suffix}.md`)
