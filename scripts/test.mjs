// The whole test suite on one engine: the core's Rust tests (unit and
// integration) and the JS/TS tests of the public API, both against the real
// engine. The engine is POCKET_DOCK_SOCKET if set, else the one discovery picks.
// Builds the offline test image and starts the local registries first, and
// removes the image (and any container a failed test left) and stops the
// registries at the end.
//
//   --node <bin>   run the JS/TS tests with that node (scripts/node-line.mjs
//                  prints one per release line); default: this node
//   --no-rust      skip the cargo tests (a second Node line needs only the JS suite)
//   -- <files…>    only these test files (default: every file in __test__/)
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureImage, removeImage } from './test-image.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const argv = process.argv.slice(2)
const dashes = argv.indexOf('--')
const flags = dashes < 0 ? argv : argv.slice(0, dashes)
const only = dashes < 0 ? [] : argv.slice(dashes + 1)
const nodeAt = flags.indexOf('--node')
const nodeBin = nodeAt < 0 ? process.execPath : flags[nodeAt + 1]
const withRust = !flags.includes('--no-rust')
if (nodeAt >= 0 && !nodeBin) {
  console.error('usage: node scripts/test.mjs [--node <bin>] [--no-rust] [-- <test files>]')
  process.exit(2)
}
const native = createRequire(import.meta.url)('../binding.js')

const engine = await native.internal.engineInfo(process.env.POCKET_DOCK_SOCKET || undefined)
const nodeVersion = spawnSync(nodeBin, ['--version'], { encoding: 'utf8' }).stdout.trim()
console.log(
  `pocket-dock tests on ${engine.kind} ${engine.version} (API ${engine.apiVersion}) at ${engine.socketPath}, Node ${nodeVersion}`,
)
const env = { ...process.env, POCKET_DOCK_SOCKET: engine.socketPath }
const builtHere = await ensureImage(undefined, engine.socketPath)

const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' }).status === 0
// The pull tests use two real local registries (scripts/start-registry.sh);
// started here unless already up, and stopped at the end if started here.
const registryUp = await fetch('http://127.0.0.1:5000/v2/').then(
  (r) => r.ok,
  () => false,
)
const startedRegistry = !registryUp && run('bash', ['scripts/start-registry.sh'])
// A test that depends on timing can fail on a loaded 2-core machine: a failed
// part is run once more, alone, and reported as FLAKY if it then passes — a
// test that fails twice fails the suite.
const flaky = []
const cargoTest = ['test', '-p', 'pocket_dock_core', '-p', 'pocket-dock-runner']
let ok = !withRust || run('cargo', cargoTest)
if (!ok && run('cargo', [...cargoTest, '--', '--test-threads=1'])) {
  ok = true
  flaky.push('cargo test')
}
const files = only.length
  ? only
  : readdirSync(join(root, '__test__'))
      .filter((f) => f.endsWith('.test.ts') || f.endsWith('.test.mjs') || f.endsWith('.test.cjs'))
      .map((f) => join('__test__', f))
const failedList = join(mkdtempSync(join(tmpdir(), 'pocket-dock-test-')), 'failed')
const nodeTest = ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec']
const jsOk = run(nodeBin, [
  ...nodeTest,
  '--test-reporter-destination=stdout',
  `--test-reporter=${join(root, 'scripts/failed-files-reporter.mjs')}`,
  `--test-reporter-destination=${failedList}`,
  ...files,
])
if (!jsOk) {
  const failed = existsSync(failedList) ? readFileSync(failedList, 'utf8').split('\n').filter(Boolean) : []
  // No file named (the runner itself failed): nothing to retry.
  let retriedOk = failed.length > 0
  for (const file of failed) {
    console.log(`pocket-dock: ${file} failed; running it once more on its own`)
    if (run(nodeBin, [...nodeTest, file])) flaky.push(file)
    else retriedOk = false
  }
  ok = retriedOk && ok
}
for (const part of flaky) console.log(`pocket-dock: FLAKY: ${part} failed once and passed when run again`)

const leftovers = await native.internal.removeLabelled('pocket-dock-test', undefined, engine.socketPath)
if (leftovers) console.log(`pocket-dock: removed ${leftovers} container(s) that failed tests left behind`)
if (builtHere || process.env.CI) await removeImage(undefined, engine.socketPath)
if (startedRegistry) run('bash', ['scripts/start-registry.sh', 'stop'])
process.exit(ok ? 0 : 1)
