// Streaming: a command's output through each tool, each run in a fresh
// process (bench/stream-worker.mjs; raw bollard a fresh one of its own) so
// its peak RSS and CPU are its own; the CLI's output goes to /dev/null and
// its CPU is read with bash's `times`.
import { inFreshProcess, median, run, runsOf } from '../lib/measure.mjs'
import { startedPeer } from '../lib/peers.mjs'
import { RAW, RawBollard } from '../lib/raw-bollard.mjs'
import { report } from '../lib/report.mjs'

export async function streaming({ socketPath, image, quick, dockerode, cli }) {
  const bytes = quick ? 32 * 2 ** 20 : 2 ** 30
  const n = quick ? 1 : 3
  const dc = await startedPeer(dockerode, image)
  const cmd = `head -c ${bytes} /dev/zero | tr '\\0' a`
  const worker = (...args) => inFreshProcess('stream-worker.mjs', ...args)
  const tools = [
    { name: 'pocket-dock', go: () => worker('pocket-dock', socketPath, image, bytes) },
    { name: 'dockerode', go: () => worker('dockerode', socketPath, dc.id, bytes) },
    {
      name: RAW,
      go: async () => {
        const fresh = new RawBollard(socketPath)
        try {
          return await fresh.request({ op: 'stream', container: dc.id, bytes })
        } finally {
          fresh.close()
        }
      },
    },
    {
      name: `${cli.name} CLI`,
      go: async () => {
        const t0 = performance.now()
        const line = `${cli.name} ${cli.args.join(' ')} exec ${dc.id} /bin/sh -c "${cmd}" | wc -c; times`
        const { stdout } = await run('bash', ['-c', line], { env: cli.env })
        const seconds = (performance.now() - t0) / 1000
        const [count, , children] = stdout.trim().split('\n')
        return { seconds, bytes: Number(count), cpuSeconds: bashSeconds(children) }
      },
    },
  ]
  let samples
  try {
    samples = await runsOf(tools, n, bytes)
  } finally {
    await dc.remove({ force: true })
  }
  const mib = bytes / 2 ** 20
  const rows = Object.entries(samples).map(([tool, rs]) => {
    const pick = (f) => median(rs.map(f))
    return {
      tool,
      mbps: pick((r) => mib / r.seconds),
      cpu: pick((r) => r.cpuSeconds / (mib / 1024)),
      idle: rs[0].idleRssMiB,
      grow: rs[0].idleRssMiB === undefined ? undefined : pick((r) => r.peakRssMiB - r.idleRssMiB),
    }
  })
  return report(`streaming: ${mib} MiB of output, ${n} run(s) each, medians`, rows, [
    { title: 'MiB/s', key: 'mbps' },
    { title: 'ratio to fastest', ratioOf: 'mbps', to: 'fastest', best: 'highest' },
    { title: 'ratio to raw bollard', ratioOf: 'mbps', to: 'raw' },
    { title: 'client CPU s per GiB', key: 'cpu', digits: 2 },
    { title: 'idle RSS MiB', key: 'idle' },
    { title: 'peak RSS growth MiB', key: 'grow' },
  ])
}

/** Seconds in a line of bash's `times` (`0m1.234s 0m0.567s`: user, system). */
const bashSeconds = (line) =>
  line.split(/\s+/).reduce((sum, v) => {
    const m = /(\d+)m([\d.]+)s/.exec(v)
    return sum + (m ? +m[1] * 60 + +m[2] : 0)
  }, 0)
