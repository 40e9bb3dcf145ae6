// Warm pool: a sandbox ready for its first command. `pool.acquire()` + the
// first `echo hi` from a pool of 4 kept full (as a service between requests),
// against creating a container for it (pocket-dock without a pool, and
// dockerode create + start + exec). Removal is left out of every timing: a
// service removes a used sandbox after answering.
import { createNewContainer, createPool } from 'pocket-dock'
import { dockerodeExec } from '../lib/dockerode.mjs'
import { interleave } from '../lib/measure.mjs'
import { peerContainer } from '../lib/peers.mjs'
import { timingReport } from '../lib/report.mjs'

const SIZE = 4

export async function pool({ socketPath, image, quick, dockerode }) {
  const n = quick ? 4 : 30
  const warm = createPool({ size: SIZE, image, socketPath })
  const full = async () => {
    while (warm.available < SIZE) await new Promise((r) => setTimeout(r, 20))
  }
  const timed = async (first, after) => {
    const t = performance.now()
    const handle = await first()
    const ms = performance.now() - t
    await after(handle)
    return ms
  }
  const tools = [
    {
      name: `pocket-dock pool of ${SIZE}`,
      go: async () => {
        await full()
        return timed(
          async () => {
            const c = await warm.acquire()
            await c.run('echo hi')
            return c
          },
          (c) => c.shutdown({ force: true }),
        )
      },
    },
    {
      name: 'pocket-dock, no pool',
      go: () =>
        timed(
          async () => {
            const c = await createNewContainer({ image, socketPath })
            await c.run('echo hi')
            return c
          },
          (c) => c.shutdown({ force: true }),
        ),
    },
    {
      name: 'dockerode',
      go: () =>
        timed(
          async () => {
            const c = await peerContainer(dockerode, image)
            await c.start()
            await dockerodeExec(c, 'echo hi', 'hi\n')
            return c
          },
          (c) => c.remove({ force: true }),
        ),
    },
  ]
  const samples = await interleave(tools, n, 1).finally(() => warm.close())
  return timingReport(`pool: a sandbox to its first \`echo hi\` (removal not timed), ${n} iterations`, samples)
}
