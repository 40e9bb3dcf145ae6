// One detached-mode measurement in a fresh process: a command prints 1 MiB
// of output per second for `seconds` seconds while the client keeps the
// newest 1 MiB (pocket-dock's ring buffer; for dockerode, what a user would
// write: the demuxed stream into a buffer trimmed to 1 MiB). Samples RSS once
// a second and prints { cpuSeconds, rssMiB: [...], bytes } as JSON.
//
//   node bench/detached-worker.mjs pocket-dock <socket> <image> <seconds>
//   node bench/detached-worker.mjs dockerode <socket> <containerId> <seconds>
import Docker from 'dockerode'
import { Writable } from 'node:stream'
import { createNewContainer } from 'pocket-dock'
import { startExec } from './lib/dockerode.mjs'

const [tool, socketPath, target, secondsText] = process.argv.slice(2)
const seconds = Number(secondsText)
const MIB = 2 ** 20
const cmd = `i=0; while [ $i -lt ${seconds} ]; do head -c ${MIB} /dev/zero | tr '\\0' a; sleep 1; i=$((i+1)); done`

let start
let done = async () => {}
if (tool === 'pocket-dock') {
  const c = await createNewContainer({ image: target, socketPath })
  done = () => c.shutdown({ force: true })
  start = async () => {
    const p = await c.run(cmd, { detach: true })
    return async () => {
      const r = await p.wait({ timeout: seconds + 30 })
      if (r.exitCode !== 0) throw new Error(`producer exited ${r.exitCode}`)
      return p.peek().stdout.length
    }
  }
} else {
  const container = new Docker({ socketPath }).getContainer(target)
  start = async () => {
    let kept = []
    let size = 0
    const sink = new Writable({
      write(chunk, _enc, next) {
        kept.push(chunk)
        size += chunk.length
        while (size - kept[0].length >= MIB) size -= kept.shift().length
        next()
      },
    })
    const { ended } = await startExec(container, cmd, sink)
    return async () => {
      await ended
      return Math.min(size, MIB)
    }
  }
}

const cpu0 = process.cpuUsage()
const finish = await start()
const rssMiB = []
const sampler = setInterval(() => rssMiB.push(process.memoryUsage().rss / MIB), 1000)
const bytes = await finish()
clearInterval(sampler)
rssMiB.push(process.memoryUsage().rss / MIB)
const cpu = process.cpuUsage(cpu0)
await done()
console.log(JSON.stringify({ cpuSeconds: (cpu.user + cpu.system) / 1e6, rssMiB, bytes }))
