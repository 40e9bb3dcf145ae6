// One streaming measurement in a fresh process, so peak RSS and CPU belong to
// this tool alone: streams `bytes` bytes of a command's output and prints
// { seconds, bytes, idleRssMiB, peakRssMiB, cpuSeconds } as JSON.
//
//   node bench/stream-worker.mjs pocket-dock <socket> <image> <bytes>
//   node bench/stream-worker.mjs dockerode <socket> <containerId> <bytes>
//
// pocket-dock makes its own container (it cannot attach to another one yet);
// dockerode uses the running container it is given. Both are ready before the
// idle RSS is taken.
import Docker from 'dockerode'
import { Writable } from 'node:stream'
import { createNewContainer } from 'pocket-dock'
import { startExec } from './lib/dockerode.mjs'

const [tool, socketPath, target, total] = process.argv.slice(2)
const cmd = `head -c ${total} /dev/zero | tr '\\0' a`

let run
let done = async () => {}
if (tool === 'pocket-dock') {
  const c = await createNewContainer({ image: target, socketPath })
  done = () => c.shutdown({ force: true })
  run = async () => {
    const stream = await c.run(cmd, { stream: true, timeout: 600 })
    let n = 0
    for await (const chunk of stream) n += chunk.data.length
    return n
  }
} else {
  const container = new Docker({ socketPath }).getContainer(target)
  run = async () => {
    let n = 0
    const sink = new Writable({
      write(chunk, _enc, next) {
        n += chunk.length
        next()
      },
    })
    const { ended } = await startExec(container, cmd, sink)
    await ended
    return n
  }
}

const idleRss = process.memoryUsage().rss
const cpu0 = process.cpuUsage()
const t0 = performance.now()
const bytes = await run()
const seconds = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
await done()
console.log(
  JSON.stringify({
    seconds,
    bytes,
    idleRssMiB: idleRss / 2 ** 20,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  }),
)
