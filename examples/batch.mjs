// A batch runner: N jobs, each in a fresh sandbox of its own, with at most
// LIMIT sandboxes at a time — `Promise.all` over a small pool.
//
//   node examples/batch.mjs            # JOBS=8 LIMIT=3 by default
//
// IMAGE (default busybox, pulled if missing) is the sandbox image; CI uses
// the offline test image.
import { createNewContainer } from 'pocket-dock'

const image = process.env.IMAGE || 'busybox:1.36'
const jobs = Number(process.env.JOBS ?? 8)
const limit = Number(process.env.LIMIT ?? 3)

/** Runs `tasks` (functions returning promises) with at most `n` at once; results in order. */
async function pool(tasks, n) {
  const results = new Array(tasks.length)
  let next = 0
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++
      results[i] = await tasks[i]()
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, tasks.length) }, worker))
  return results
}

let running = 0
let peak = 0
const job = (i) => async () => {
  running++
  peak = Math.max(peak, running)
  const c = await createNewContainer({ image, pull: 'missing', network: false, memLimit: '64m', timeout: 30 })
  try {
    const r = await c.run(`echo "job ${i}: $(( ${i} * ${i} ))"`)
    return { job: i, ok: r.ok, out: r.stdout.trim() }
  } finally {
    await c.shutdown()
    running--
  }
}

const t0 = performance.now()
const results = await pool(
  Array.from({ length: jobs }, (_, i) => job(i + 1)),
  limit,
)
for (const r of results) console.log(r.out)
const failed = results.filter((r) => !r.ok).length
console.log(
  `${jobs} jobs, at most ${peak} sandboxes at once (limit ${limit}), ${failed} failed, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
)
process.exitCode = failed ? 1 : 0
