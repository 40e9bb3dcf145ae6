// Checks, before the demo or the tests, that a container engine answers and
// that Debian's static busybox (for the offline image) is present. If not, it
// says so plainly and — as root on Debian — installs and starts what is
// missing (scripts/start-engines.sh); otherwise it tells you what to do.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import http from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

function ping(socketPath) {
  return new Promise((resolve) => {
    if (!existsSync(socketPath)) return resolve(false)
    const req = http.get({ socketPath, path: '/_ping', timeout: 1500 }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('error', () => resolve(false))
    req.on('timeout', () => {
      req.destroy()
      resolve(false)
    })
  })
}

function candidates() {
  const strip = (p) => p.replace(/^unix:\/\//, '')
  const out = []
  if (process.env.POCKET_DOCK_SOCKET) out.push(strip(process.env.POCKET_DOCK_SOCKET))
  if (process.env.DOCKER_HOST?.startsWith('unix://')) out.push(strip(process.env.DOCKER_HOST))
  if (process.env.XDG_RUNTIME_DIR) out.push(`${process.env.XDG_RUNTIME_DIR}/podman/podman.sock`)
  out.push('/run/podman/podman.sock', '/var/run/docker.sock')
  return out
}

async function answering() {
  // An explicitly chosen socket must answer itself; otherwise any will do.
  const list = process.env.POCKET_DOCK_SOCKET ? candidates().slice(0, 1) : candidates()
  for (const s of list) if (await ping(s)) return s
  return null
}

const hasBusybox = () => {
  try {
    execFileSync('/bin/busybox', ['--list'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

let socket = await answering()
if (socket && hasBusybox()) {
  console.log(`pocket-dock: engine at ${socket}`)
  process.exit(0)
}
const missing = [
  !socket && 'no container engine answers (tried ' + candidates().join(', ') + ')',
  !hasBusybox() && '/bin/busybox (Debian busybox-static, used to build the offline image) is missing',
].filter(Boolean)
console.log(`pocket-dock: ${missing.join('; ')}.`)
const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')
if (!canInstall) {
  console.log(
    'pocket-dock: start Docker (`sudo systemctl start docker`) or Podman (`systemctl --user start podman.socket`),',
  )
  console.log('             install busybox-static (`sudo apt-get install busybox-static`), or set POCKET_DOCK_SOCKET.')
  process.exit(1)
}
console.log(
  'pocket-dock: running as root on Debian: installing and starting Docker and Podman (scripts/start-engines.sh) ...',
)
execFileSync('bash', [join(here, 'start-engines.sh')], { stdio: 'inherit' })
socket = await answering()
if (!socket) {
  console.log('pocket-dock: still no engine answers; see /var/log/pocket-dock-*.log')
  process.exit(1)
}
console.log(`pocket-dock: engine at ${socket}`)
