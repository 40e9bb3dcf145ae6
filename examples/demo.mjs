// pocket-dock demo: create a sandbox, run commands, run two containers in
// parallel, time out a runaway command. Run it with `npm run demo`.
//
// No registry is needed: the demo image is Debian's static busybox, built
// offline through the engine's build API (scripts/test-image-context.sh).
import { createNewContainer } from 'pocket-dock'
import { createRequire } from 'node:module'
import { ensureImage } from '../scripts/test-image.mjs'

const IMAGE = 'pocket-dock-demo/busybox:latest'
const socketPath = process.env.POCKET_DOCK_SOCKET || undefined
const native = createRequire(import.meta.url)('../binding.js')
const ms = (t0) => `${(performance.now() - t0).toFixed(0)} ms`

const engine = await native.internal.engineInfo(socketPath)
console.log(`engine: ${engine.kind} ${engine.version} (API ${engine.apiVersion}) at ${engine.socketPath}`)
let t = performance.now()
if (await ensureImage(IMAGE, engine.socketPath)) console.log(`built ${IMAGE} offline in ${ms(t)}`)

// 1. Create a container and run a command.
t = performance.now()
const c = await createNewContainer({ image: IMAGE, socketPath: engine.socketPath })
console.log(`\ncreated ${c.name} in ${ms(t)}`)
try {
  t = performance.now()
  const r = await c.run('echo hello')
  console.log(`run('echo hello') -> ${JSON.stringify(r.stdout)} exitCode=${r.exitCode} ok=${r.ok} in ${ms(t)}`)

  const info = await c.run('uname -sr; id -un; pwd; echo "$LANGUAGE"', { env: { LANGUAGE: 'en' } })
  console.log(`run(...) with env -> ${JSON.stringify(info.stdout)}`)

  // 2. A runaway command is killed inside the container at its timeout.
  t = performance.now()
  const slow = await c.run('echo started; sleep 30', { timeout: 1 })
  console.log(
    `run('echo started; sleep 30', { timeout: 1 }) -> timedOut=${slow.timedOut} stdout=${JSON.stringify(slow.stdout)} in ${ms(t)}`,
  )
  const ps = await c.run('ps -o args | grep -c "^sleep 30" || true')
  console.log(`  'sleep 30' processes left in the container: ${ps.stdout.trim()}`)
} finally {
  t = performance.now()
  await c.shutdown()
  console.log(`shutdown in ${ms(t)}`)
}

// 3. Two containers in parallel: about as long as one.
t = performance.now()
const [c1, c2] = await Promise.all([
  createNewContainer({ image: IMAGE, socketPath: engine.socketPath }),
  createNewContainer({ image: IMAGE, socketPath: engine.socketPath }),
])
try {
  const t2 = performance.now()
  const [a, b] = await Promise.all([c1.run('sleep 2 && echo 1'), c2.run('sleep 2 && echo 2')])
  console.log(
    `\nPromise.all over two containers of 'sleep 2' -> ${a.stdout.trim()} ${b.stdout.trim()} in ${ms(t2)} (created both in ${(t2 - t).toFixed(0)} ms)`,
  )
} finally {
  await Promise.all([c1.shutdown(), c2.shutdown()])
}
console.log(`\ndone; every container is removed (the image ${IMAGE} is kept for the next run)`)

// 4. The same from a shell: the `pocket-dock` CLI.
await import('./demo-cli.mjs')
