// Exec round trip: `echo hi` on one running container per tool.
import { createNewContainer } from 'pocket-dock'
import { dockerodeExec } from '../lib/dockerode.mjs'
import { interleave } from '../lib/measure.mjs'
import { startedPeer } from '../lib/peers.mjs'
import { RAW } from '../lib/raw-bollard.mjs'
import { timingReport } from '../lib/report.mjs'

export async function exec({ socketPath, image, quick, dockerode, raw, cli }) {
  const n = quick ? 20 : 200
  const pd = await createNewContainer({ image, socketPath })
  const dc = await startedPeer(dockerode, image)
  try {
    const tools = [
      {
        name: 'pocket-dock',
        go: async () => {
          const r = await pd.run('echo hi')
          if (r.stdout !== 'hi\n') throw new Error(r.stderr)
        },
      },
      { name: 'dockerode', go: () => dockerodeExec(dc, 'echo hi', 'hi\n') },
      { name: `${cli.name} CLI`, go: () => cli.run(['exec', dc.id, '/bin/sh', '-c', 'echo hi']) },
      { name: RAW, go: async () => (await raw.request({ op: 'exec', container: dc.id })).ms },
    ]
    const samples = await interleave(tools, n, quick ? 3 : 10)
    return timingReport(`exec round trip: \`echo hi\`, ${n} iterations`, samples)
  } finally {
    await pd.shutdown({ force: true })
    await dc.remove({ force: true })
  }
}
