// One streaming measurement of pocket-dock in a fresh process, as text (the
// default) or bytes (`encoding: 'buffer'`), so its peak RSS and CPU are its
// own: streams `bytes` bytes of a command's output and prints
// { seconds, bytes, idleRssMiB, peakRssMiB, cpuSeconds } as JSON.
//
//   node bench/run-options-worker.mjs <utf8|buffer> <socket> <image> <bytes>
import { createNewContainer } from 'pocket-dock'

const [encoding, socketPath, image, total] = process.argv.slice(2)
const cmd = `head -c ${total} /dev/zero | tr '\\0' a`

const c = await createNewContainer({ image, socketPath })
const idleRss = process.memoryUsage().rss
const cpu0 = process.cpuUsage()
const t0 = performance.now()
const stream = await c.run(cmd, { stream: true, timeout: 600, encoding })
let bytes = 0
for await (const chunk of stream) bytes += chunk.data.length
const seconds = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
await c.shutdown({ force: true })
console.log(
  JSON.stringify({
    seconds,
    bytes,
    idleRssMiB: idleRss / 2 ** 20,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  }),
)
