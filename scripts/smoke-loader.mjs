// Smoke test of a platform's prebuilt addon where no engine runs (macOS,
// Windows, arm64 and musl release runners): pack the main package and the
// staged platform package, install both from the tarballs (offline) into a
// fresh directory, then from there, as CommonJS and as ESM, load the package,
// check its exports, and check that a call to an engine that is not there
// rejects with pocket-dock's typed error. The full suite runs where there are
// engines (__test__/packed-install.test.ts and the rest).
//
//   node scripts/smoke-loader.mjs --packed <staged platform package dir>
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const at = process.argv.indexOf('--packed')
const platformDir = at > 0 ? process.argv[at + 1] : undefined
if (!platformDir) {
  console.error('usage: node scripts/smoke-loader.mjs --packed <staged platform package dir>')
  process.exit(2)
}
// npm is a .cmd on Windows, which only a shell runs.
const npm = (args, cwd) =>
  execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    shell: process.platform === 'win32',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
const work = mkdtempSync(join(tmpdir(), 'pd-smoke-'))
const pack = (dir) => join(work, JSON.parse(npm(['pack', '--json', '--pack-destination', work], dir))[0].filename)
const tarballs = [pack(root), pack(platformDir)]
const app = join(work, 'app')
mkdirSync(app)
writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true }\n')
npm(['install', '--offline', '--no-audit', '--no-fund', ...tarballs.map((t) => `file:${t}`)], app)

// A socket path that cannot answer, on any OS.
const nowhere = join(work, 'no-engine.sock')
const check = `
  const names = ['createNewContainer', 'listContainers', 'AsyncContainer', 'PocketDockError', 'SocketConnectionError']
  for (const n of names) if (typeof api[n] !== 'function') throw new Error('missing export ' + n)
  for (const n of ['createNewContainer', 'Container']) if (typeof sync[n] !== 'function') throw new Error('missing sync export ' + n)
  api.listContainers({ socketPath: ${JSON.stringify(nowhere)} }).then(
    () => { console.error('listContainers on no engine resolved'); process.exit(1) },
    (e) => {
      if (!(e instanceof api.PocketDockError) || typeof e.code !== 'string') { console.error('untyped error', e); process.exit(1) }
      console.log(kind + ': loaded; no engine -> ' + e.name + ' (' + e.code + ')')
    })
`
writeFileSync(
  join(app, 'smoke.cjs'),
  `const kind = 'CJS'; const api = require('pocket-dock'); const sync = require('pocket-dock/sync');${check}`,
)
writeFileSync(
  join(app, 'smoke.mjs'),
  `const kind = 'ESM'; import * as api from 'pocket-dock'; import * as sync from 'pocket-dock/sync';${check}`,
)
try {
  for (const file of ['smoke.cjs', 'smoke.mjs']) {
    process.stdout.write(execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8' }))
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
console.log(`smoke: ${process.platform}-${process.arch}, Node ${process.versions.node}: OK`)
