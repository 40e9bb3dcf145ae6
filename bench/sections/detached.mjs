// Detached: a command prints 1 MiB/s into the client's newest-1-MiB buffer;
// client CPU, and RSS sampled each second (it must stay flat, the buffer
// being bounded). Each run in a fresh process (bench/detached-worker.mjs).
import { inFreshProcess } from '../lib/measure.mjs'
import { startedPeer } from '../lib/peers.mjs'
import { report } from '../lib/report.mjs'

export async function detached({ socketPath, image, quick, dockerode }) {
  const seconds = quick ? 2 : 10
  const dc = await startedPeer(dockerode, image)
  const rows = []
  try {
    for (const [tool, target] of [
      ['pocket-dock', image],
      ['dockerode', dc.id],
    ]) {
      const r = await inFreshProcess('detached-worker.mjs', tool, socketPath, target, seconds)
      if (r.bytes !== 2 ** 20) throw new Error(`${tool} kept ${r.bytes} bytes, not 1 MiB`)
      const first = r.rssMiB[0]
      const last = r.rssMiB[r.rssMiB.length - 1]
      rows.push({ tool, cpu: r.cpuSeconds, first, last, growth: last - first })
    }
  } finally {
    await dc.remove({ force: true })
  }
  return report(`detached: 1 MiB/s of output for ${seconds} s into a 1 MiB buffer`, rows, [
    { title: 'client CPU s', key: 'cpu', digits: 2 },
    { title: 'RSS after 1 s MiB', key: 'first' },
    { title: 'RSS at end MiB', key: 'last' },
    { title: 'growth after 1 s MiB', key: 'growth' },
  ])
}
