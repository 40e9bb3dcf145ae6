// Checks, before the demo or the tests, that a container engine answers and
// that Debian's static busybox (for the offline image) is present. The engine
// is found by the addon's own discovery (so this script cannot drift from
// it): run it after `npm run build`. If something is missing it says so
// plainly and — as root on Debian — installs and starts it
// (scripts/start-engines.sh); otherwise it tells you what to do.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const native = require('../binding.js')
const { fromNative } = require('../dist/errors.js')

/** The socket of the engine discovery picks (POCKET_DOCK_SOCKET, if set, must answer itself), or why none. */
async function answering() {
  try {
    const engine = await native.internal.engineInfo(process.env.POCKET_DOCK_SOCKET || undefined)
    return { socket: `${engine.socketPath} (${engine.kind} ${engine.version})` }
  } catch (e) {
    return { why: fromNative(e).message }
  }
}

const hasBusybox = () => {
  try {
    execFileSync('/bin/busybox', ['--list'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

let found = await answering()
if (found.socket && hasBusybox()) {
  console.log(`pocket-dock: engine at ${found.socket}`)
  process.exit(0)
}
const missing = [
  found.why,
  !hasBusybox() && '/bin/busybox (Debian busybox-static, used to build the offline image) is missing',
].filter(Boolean)
console.log(`pocket-dock: ${missing.join('; ')}`)
const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')
if (!canInstall) {
  console.log('pocket-dock: install busybox-static (`sudo apt-get install busybox-static`) and start an engine.')
  process.exit(1)
}
console.log(
  'pocket-dock: running as root on Debian: installing and starting Docker and Podman (scripts/start-engines.sh) ...',
)
execFileSync('bash', [join(here, 'start-engines.sh')], { stdio: 'inherit' })
found = await answering()
if (!found.socket) {
  console.log(`pocket-dock: still no engine answers (${found.why}); see /var/log/pocket-dock-*.log`)
  process.exit(1)
}
console.log(`pocket-dock: engine at ${found.socket}`)
