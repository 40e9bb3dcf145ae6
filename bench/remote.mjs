// Remote engines: what TLS and SSH cost over the Unix socket, side by side
// with the docker CLI given the same DOCKER_HOST. Runs Docker through the
// loopback TLS front and sshd of scripts/start-remote.sh (started here,
// stopped at the end), so the numbers are the transports' own, not a network's.
//
//   node bench/remote.mjs            (BENCH_QUICK=1: fewer iterations, 16 MiB)
//
// Sections: connect + first list in a fresh process (with the /_ping-only
// connect, and what the /version it no longer asks would add); exec round
// trip (`true`); a 64 MiB file put and got (push/pull vs `docker cp`).
// Writes bench/RESULTS.remote.md.
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createNewContainer } from 'pocket-dock'
import { ensureImage } from '../scripts/test-image.mjs'

const root = join(fileURLToPath(import.meta.url), '..', '..')
const quick = !!process.env.BENCH_QUICK
const IMAGE = 'pocket-dock-bench/busybox:latest'
const SOCK = '/var/run/docker.sock'
const state = mkdtempSync(join(tmpdir(), 'pd-bench-remote-'))
const work = mkdtempSync(join(tmpdir(), 'pd-bench-remote-files-'))

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (x) => `${x.toFixed(1)} ms`

function unixGet(path, socketPath = SOCK) {
  return new Promise((resolve, reject) => {
    const t = performance.now()
    request({ socketPath, path }, (res) => {
      res.resume()
      res.on('end', () => resolve(performance.now() - t))
    })
      .on('error', reject)
      .end()
  })
}

execFileSync('bash', [join(root, 'scripts/start-remote.sh'), 'start', state], {
  stdio: ['ignore', 'ignore', 'inherit'],
})
const env = JSON.parse(readFileSync(join(state, 'env.json'), 'utf8'))
process.env.POCKET_DOCK_SSH_COMMAND = env.sshCommand
// The docker CLI runs `ssh` from PATH: a wrapper gives it the same config.
mkdirSync(join(state, 'bin'))
writeFileSync(join(state, 'bin/ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F ${state}/ssh_config "$@"\n`)
chmodSync(join(state, 'bin/ssh'), 0o755)

const tls = { ca: join(state, 'ca.pem'), cert: join(state, 'cert.pem'), key: join(state, 'key.pem') }
const q = (p) => encodeURIComponent(p)
const transports = [
  { name: 'unix socket', opts: { socketPath: SOCK }, address: SOCK, cliEnv: { DOCKER_HOST: `unix://${SOCK}` } },
  {
    name: 'TLS (loopback)',
    opts: { host: `tcp://127.0.0.1:${env.tlsDocker}`, tls },
    address: `tcp://127.0.0.1:${env.tlsDocker}?tlsca=${q(tls.ca)}&tlscert=${q(tls.cert)}&tlskey=${q(tls.key)}`,
    cliEnv: { DOCKER_HOST: `tcp://127.0.0.1:${env.tlsDocker}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: state },
  },
  {
    name: 'SSH (loopback)',
    opts: { host: `ssh://root@127.0.0.1:${env.sshPort}` },
    address: `ssh://root@127.0.0.1:${env.sshPort}`,
    cliEnv: { DOCKER_HOST: `ssh://root@127.0.0.1:${env.sshPort}`, PATH: `${state}/bin:${process.env.PATH}` },
  },
]

function cli(t, args) {
  const r = spawnSync('docker', args, { env: { ...process.env, ...t.cliEnv }, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}
function timed(fn) {
  const t = performance.now()
  fn()
  return performance.now() - t
}

const lines = ['# Remote engines (bench/remote.mjs)', '']
const out = (s) => {
  console.log(s)
  lines.push(s)
}
try {
  await ensureImage(IMAGE, SOCK)
  out(`Docker through scripts/start-remote.sh on loopback; ${new Date().toISOString().slice(0, 10)}; medians.`)
  out('')

  // Connect: what /_ping-only connect saves (the /version it no longer asks).
  const PODMAN = '/run/podman/podman.sock'
  const pings = { [SOCK]: [], [PODMAN]: [] }
  const versions = { [SOCK]: [], [PODMAN]: [] }
  for (let i = 0; i < 10; i++) {
    for (const sock of [SOCK, PODMAN]) {
      pings[sock].push(await unixGet('/_ping', sock).catch(() => NaN))
      versions[sock].push(await unixGet('/version', sock).catch(() => NaN))
    }
  }
  out('## Connect')
  out('')
  out('| transport | connect + first listContainers, fresh process | docker CLI `ps` |')
  out('| --- | --- | --- |')
  const n = quick ? 3 : 5
  for (const t of transports) {
    const script = `import { listContainers } from 'pocket-dock'; const t = performance.now(); await listContainers(${JSON.stringify(t.opts)}); console.log(performance.now() - t)`
    const ours = []
    const theirs = []
    for (let i = 0; i < n; i++) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: root })
      ours.push(Number(r.stdout.trim()))
      theirs.push(timed(() => cli(t, ['ps', '-q'])))
    }
    out(`| ${t.name} | ${ms(median(ours))} | ${ms(median(theirs))} (whole CLI process) |`)
  }
  out('')
  out(
    `Connecting asks only \`GET /_ping\`: ${ms(median(pings[SOCK]))} on Docker's socket and ${ms(median(pings[PODMAN]))} on Podman's, where the \`GET /version\` it asked before took ${ms(median(versions[SOCK]))} and ${ms(median(versions[PODMAN]))}; /version is now asked once, when a remote engine's architecture is first needed (to place the runner), and never on a local Linux socket.`,
  )
  out('')

  // Exec round trip.
  const iters = quick ? 8 : 20
  out('## Exec round trip (`true`)')
  out('')
  out('| transport | pocket-dock `run` | docker CLI `exec` |')
  out('| --- | --- | --- |')
  for (const t of transports) {
    const c = await createNewContainer({ image: IMAGE, ...t.opts })
    try {
      await c.run('true')
      const ours = []
      for (let i = 0; i < iters; i++) {
        const s = performance.now()
        await c.run('true')
        ours.push(performance.now() - s)
      }
      const theirs = []
      for (let i = 0; i < Math.min(iters, 8); i++) theirs.push(timed(() => cli(t, ['exec', c.name, 'true'])))
      out(`| ${t.name} | ${ms(median(ours))} | ${ms(median(theirs))} |`)
    } finally {
      await c.shutdown({ force: true })
    }
  }
  out('')

  // 64 MiB put/get.
  const size = (quick ? 16 : 64) * 1024 * 1024
  const file = join(work, 'blob.bin')
  writeFileSync(file, randomBytes(size))
  const reps = quick ? 1 : 3
  out(`## ${size >> 20} MiB put / get`)
  out('')
  out('| transport | `push` | `pull` | `docker cp` in | `docker cp` out |')
  out('| --- | --- | --- | --- | --- |')
  for (const t of transports) {
    const c = await createNewContainer({ image: IMAGE, ...t.opts })
    try {
      const put = [],
        get = [],
        cpIn = [],
        cpOut = []
      for (let i = 0; i < reps; i++) {
        let s = performance.now()
        await c.push(file, '/tmp/blob.bin')
        put.push(performance.now() - s)
        rmSync(join(work, 'got.bin'), { force: true })
        s = performance.now()
        await c.pull('/tmp/blob.bin', join(work, 'got.bin'))
        get.push(performance.now() - s)
        cpIn.push(timed(() => cli(t, ['cp', file, `${c.name}:/tmp/cp.bin`])))
        rmSync(join(work, 'cp.bin'), { force: true })
        cpOut.push(timed(() => cli(t, ['cp', `${c.name}:/tmp/cp.bin`, join(work, 'cp.bin')])))
      }
      out(`| ${t.name} | ${ms(median(put))} | ${ms(median(get))} | ${ms(median(cpIn))} | ${ms(median(cpOut))} |`)
    } finally {
      await c.shutdown({ force: true })
    }
  }
  out('')
  writeFileSync(join(root, 'bench', 'RESULTS.remote.md'), lines.join('\n') + '\n')
} finally {
  execFileSync('bash', [join(root, 'scripts/start-remote.sh'), 'stop', state])
  rmSync(work, { recursive: true, force: true })
}
process.exit(0)
