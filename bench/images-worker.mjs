// One image-archive measurement in a fresh process (so peak RSS is this
// tool's alone): export an image to a file, or import one from a file,
// printing { seconds, bytes, idleRssMiB, peakRssMiB } as JSON.
//
//   node bench/images-worker.mjs pocket-dock|dockerode export <socket> <image> <file>
//   node bench/images-worker.mjs pocket-dock|dockerode import <socket> <image> <file>
//
// An import must load `image` (checked after the clock stops).
import Docker from 'dockerode'
import { createReadStream, createWriteStream, statSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { exportImages, importImages } from 'pocket-dock'

const [tool, op, socketPath, image, file] = process.argv.slice(2)
const docker = new Docker({ socketPath })

const ops = {
  'pocket-dock': {
    export: () => exportImages([image], file, { socketPath }),
    import: () => importImages(file, { socketPath }),
  },
  dockerode: {
    export: async () => pipeline(await docker.getImage(image).get(), createWriteStream(file)),
    import: async () => {
      const answer = await docker.loadImage(createReadStream(file))
      const events = await new Promise((resolve, reject) =>
        docker.modem.followProgress(answer, (err, out) => (err ? reject(err) : resolve(out))),
      )
      const failed = events.find((e) => e.error)
      if (failed) throw new Error(`dockerode load: ${failed.error}`)
    },
  },
}
const go = ops[tool]?.[op]
if (!go) throw new Error(`usage: images-worker.mjs pocket-dock|dockerode export|import <socket> <image> <file>`)

const idleRss = process.memoryUsage().rss
const t = performance.now()
await go()
const seconds = (performance.now() - t) / 1000
if (op === 'import') {
  // Throws (404) unless the archive's tag is back on the engine.
  await docker.getImage(image).inspect()
}
console.log(
  JSON.stringify({
    seconds,
    bytes: statSync(file).size,
    idleRssMiB: idleRss / 2 ** 20,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
)
