// One file-transfer measurement in a fresh process (so peak RSS is this
// tool's alone): put a host file into a container and get it back, printing
// { putSeconds, getSeconds, bytes, idleRssMiB, peakRssMiB } as JSON.
//
//   node bench/files-worker.mjs pocket-dock <socket> <image> <file> <outdir>
//   node bench/files-worker.mjs dockerode <socket> <containerId> <file> <outdir>
import Docker from 'dockerode'
import { statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createRequire } from 'node:module'
import { createNewContainer } from 'pocket-dock'

const tarFs = createRequire(import.meta.url)('tar-fs')
const [tool, socketPath, target, file, outdir] = process.argv.slice(2)
const name = basename(file)

let put, get
let done = async () => {}
if (tool === 'pocket-dock') {
  const c = await createNewContainer({ image: target, socketPath })
  done = () => c.shutdown({ force: true })
  put = () => c.push(file, `/tmp/${name}`)
  get = () => c.pull(`/tmp/${name}`, join(outdir, name))
} else {
  const container = new Docker({ socketPath }).getContainer(target)
  put = async () => {
    const tar = tarFs.pack(dirname(file), { entries: [name] })
    await container.putArchive(tar, { path: '/tmp' })
  }
  get = async () => {
    const stream = await container.getArchive({ path: `/tmp/${name}` })
    await pipeline(stream, tarFs.extract(outdir))
  }
}

const idleRss = process.memoryUsage().rss
let t = performance.now()
await put()
const putSeconds = (performance.now() - t) / 1000
t = performance.now()
await get()
const getSeconds = (performance.now() - t) / 1000
await done()
console.log(
  JSON.stringify({
    putSeconds,
    getSeconds,
    bytes: statSync(join(outdir, name)).size,
    idleRssMiB: idleRss / 2 ** 20,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
)
