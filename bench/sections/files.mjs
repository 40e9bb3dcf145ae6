// Files: put then get of a file through each tool, each run in a fresh
// process (bench/files-worker.mjs) for its peak RSS; `docker cp` both ways
// for the CLI.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inFreshProcess, median, run, runsOf } from '../lib/measure.mjs'
import { startedPeer } from '../lib/peers.mjs'
import { report } from '../lib/report.mjs'

export async function files({ socketPath, image, quick, dockerode, cli }) {
  const bytes = (quick ? 16 : 64) * 2 ** 20
  const n = quick ? 1 : 5
  const work = mkdtempSync(join(tmpdir(), 'pd-bench-files-'))
  const file = join(work, 'payload.bin')
  await run('sh', ['-c', `head -c ${bytes} /dev/urandom > '${file}'`])
  const dc = await startedPeer(dockerode, image)
  const fresh = () => mkdtempSync(join(work, 'out-'))
  const worker = (...args) => inFreshProcess('files-worker.mjs', ...args)
  const tools = [
    { name: 'pocket-dock', go: () => worker('pocket-dock', socketPath, image, file, fresh()) },
    { name: 'dockerode', go: () => worker('dockerode', socketPath, dc.id, file, fresh()) },
    {
      name: `${cli.name} cp`,
      go: async () => {
        const out = fresh()
        let t = performance.now()
        await cli.run(['cp', file, `${dc.id}:/tmp/payload.bin`])
        const putSeconds = (performance.now() - t) / 1000
        t = performance.now()
        await cli.run(['cp', `${dc.id}:/tmp/payload.bin`, join(out, 'payload.bin')])
        return {
          putSeconds,
          getSeconds: (performance.now() - t) / 1000,
          bytes: statSync(join(out, 'payload.bin')).size,
        }
      },
    },
  ]
  let samples
  try {
    samples = await runsOf(tools, n, bytes)
  } finally {
    await dc.remove({ force: true })
    rmSync(work, { recursive: true, force: true })
  }
  const mib = bytes / 2 ** 20
  const rows = Object.entries(samples).map(([tool, rs]) => ({
    tool,
    put: median(rs.map((r) => mib / r.putSeconds)),
    get: median(rs.map((r) => mib / r.getSeconds)),
    grow: rs[0].idleRssMiB === undefined ? undefined : median(rs.map((r) => r.peakRssMiB - r.idleRssMiB)),
  }))
  return report(`files: put and get of a ${mib} MiB file, ${n} run(s) each, medians`, rows, [
    { title: 'put MiB/s', key: 'put' },
    { title: 'put ratio to fastest', ratioOf: 'put', to: 'fastest', best: 'highest' },
    { title: 'get MiB/s', key: 'get' },
    { title: 'get ratio to fastest', ratioOf: 'get', to: 'fastest', best: 'highest' },
    { title: 'peak RSS growth MiB', key: 'grow' },
  ])
}
