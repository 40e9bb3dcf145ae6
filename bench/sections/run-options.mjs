// What the run() options cost: streaming output as bytes (`encoding:
// 'buffer'`) against text, each run in a fresh process
// (bench/run-options-worker.mjs) so its CPU and RSS are its own; and an argv
// command against the same command as a string.
import { createNewContainer } from 'pocket-dock'
import { inFreshProcess, interleave, median, runsOf } from '../lib/measure.mjs'
import { report, timingReport } from '../lib/report.mjs'

export async function runOptions({ socketPath, image, quick }) {
  const bytes = quick ? 32 * 2 ** 20 : 2 ** 30
  const mib = bytes / 2 ** 20
  const worker = (encoding) => () => inFreshProcess('run-options-worker.mjs', encoding, socketPath, image, bytes)
  const samples = await runsOf(
    [
      { name: "pocket-dock, encoding 'utf8'", go: worker('utf8') },
      { name: "pocket-dock, encoding 'buffer'", go: worker('buffer') },
    ],
    1,
    bytes,
  )
  const rows = Object.entries(samples).map(([tool, rs]) => ({
    tool,
    mbps: median(rs.map((r) => mib / r.seconds)),
    cpu: median(rs.map((r) => r.cpuSeconds / (mib / 1024))),
    grow: median(rs.map((r) => r.peakRssMiB - r.idleRssMiB)),
  }))
  const encodings = report(`run options: streaming ${mib} MiB as text and as bytes, one run each`, rows, [
    { title: 'MiB/s', key: 'mbps' },
    { title: 'ratio to fastest', ratioOf: 'mbps', to: 'fastest', best: 'highest' },
    { title: 'client CPU s per GiB', key: 'cpu', digits: 2 },
    { title: 'peak RSS growth MiB', key: 'grow' },
  ])

  const n = quick ? 20 : 100
  const c = await createNewContainer({ image, socketPath })
  try {
    const check = (r) => {
      if (r.stdout !== 'hi there\n') throw new Error(r.stderr)
    }
    const timed = await interleave(
      [
        { name: "string: run('echo hi there')", go: async () => check(await c.run('echo hi there')) },
        { name: "argv: run(['echo', 'hi', 'there'])", go: async () => check(await c.run(['echo', 'hi', 'there'])) },
      ],
      n,
      quick ? 3 : 10,
    )
    return [encodings, timingReport(`run options: an argv against a string command, ${n} iterations`, timed)].join('\n')
  } finally {
    await c.shutdown({ force: true })
  }
}
