// Concurrency: 10 containers at once, each created, running
// `sleep 2 && echo done`, removed; the wall time of the whole batch.
import { createNewContainer } from 'pocket-dock'
import { dockerodeExec } from '../lib/dockerode.mjs'
import { interleave } from '../lib/measure.mjs'
import { PEER_LABEL, peerContainer } from '../lib/peers.mjs'
import { RAW } from '../lib/raw-bollard.mjs'
import { timingReport } from '../lib/report.mjs'

const N = 10
const CMD = 'sleep 2 && echo done'

export async function concurrency({ socketPath, image, quick, dockerode, raw, cli }) {
  const n = quick ? 1 : 3
  const batch = (one) => Promise.all(Array.from({ length: N }, one))
  const tools = [
    {
      name: 'pocket-dock',
      go: () =>
        batch(async () => {
          const c = await createNewContainer({ image, socketPath })
          const r = await c.run(CMD)
          await c.shutdown({ force: true })
          if (r.stdout !== 'done\n') throw new Error('pocket-dock: wrong output')
        }),
    },
    {
      name: 'dockerode',
      go: () =>
        batch(async () => {
          const c = await peerContainer(dockerode, image)
          await c.start()
          await dockerodeExec(c, CMD, 'done\n')
          await c.remove({ force: true })
        }),
    },
    {
      name: `${cli.name} CLI`,
      go: () =>
        batch(() =>
          cli.run(['run', '--rm', '--init', '--label', PEER_LABEL, '--entrypoint', '/bin/sh', image, '-c', CMD]),
        ),
    },
    { name: RAW, go: async () => (await raw.request({ op: 'concurrency', image, n: N })).ms },
  ]
  const samples = await interleave(tools, n, 0)
  return timingReport(`concurrency: ${N} containers at once, each \`${CMD}\`, wall time, ${n} iteration(s)`, samples)
}
