// Lifecycle: create → start → first command → remove, a new container each
// time (for pocket-dock that includes its reaper, attached while the
// container starts).
import { createNewContainer } from 'pocket-dock'
import { dockerodeExec } from '../lib/dockerode.mjs'
import { interleave } from '../lib/measure.mjs'
import { KEEPALIVE, PEER_LABEL, peerContainer } from '../lib/peers.mjs'
import { RAW } from '../lib/raw-bollard.mjs'
import { timingReport } from '../lib/report.mjs'

export async function lifecycle({ socketPath, image, quick, dockerode, raw, cli }) {
  const n = quick ? 4 : 30
  const tools = [
    {
      name: 'pocket-dock',
      go: async () => {
        const c = await createNewContainer({ image, socketPath })
        await c.run('echo hi')
        await c.shutdown({ force: true })
      },
    },
    {
      name: 'dockerode',
      go: async () => {
        const c = await peerContainer(dockerode, image)
        await c.start()
        await dockerodeExec(c, 'echo hi', 'hi\n')
        await c.remove({ force: true })
      },
    },
    {
      name: `${cli.name} CLI`,
      go: async () => {
        const { stdout } = await cli.run([
          'run',
          '-d',
          '--init',
          '--label',
          PEER_LABEL,
          '--entrypoint',
          '/bin/sh',
          image,
          '-c',
          KEEPALIVE[2],
        ])
        const id = stdout.trim()
        await cli.run(['exec', id, '/bin/sh', '-c', 'echo hi'])
        await cli.run(['rm', '-f', id])
      },
    },
    { name: RAW, go: async () => (await raw.request({ op: 'lifecycle', image })).ms },
  ]
  const samples = await interleave(tools, n, 1)
  return timingReport(`lifecycle: create → start → \`echo hi\` → remove, ${n} iterations`, samples)
}
