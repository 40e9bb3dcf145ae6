// Builds the in-container runner (crates/runner) as a static binary and puts
// it next to the addon's .node file, where the binding finds it at run time
// (the per-platform npm package ships it the same way).
//
// Static: `+crt-static` on the gnu target gives a static-pie that runs in any
// Linux image, busybox `FROM scratch` included. Its own target directory
// (target/runner), so it never invalidates the napi build's artifacts.
import { spawnSync } from 'node:child_process'
import { copyFileSync, chmodSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const targets = { x64: 'x86_64-unknown-linux-gnu', arm64: 'aarch64-unknown-linux-gnu' }
const target = targets[process.arch]

if (process.platform !== 'linux' || !target) {
  // Containers run Linux; building for them from another OS needs a cross
  // toolchain. Without the runner, containers use the marker kill.
  console.warn(`build-runner: no runner for ${process.platform}-${process.arch}; containers will use the marker kill`)
  process.exit(0)
}

const args = [
  'build',
  '-p',
  'pocket-dock-runner',
  '--profile',
  'runner',
  '--target',
  target,
  '--target-dir',
  'target/runner',
]
const rustflags = [process.env.RUSTFLAGS, '-C target-feature=+crt-static'].filter(Boolean).join(' ')
const built = spawnSync('cargo', args, { cwd: root, stdio: 'inherit', env: { ...process.env, RUSTFLAGS: rustflags } })
if (built.status !== 0) process.exit(built.status ?? 1)

const binary = join(root, 'target/runner', target, 'runner', 'pocket-dock-runner')
const dest = join(root, 'pocket-dock-runner')
copyFileSync(binary, dest)
chmodSync(dest, 0o755)
