// What a user gets from `npm install pocket-dock`: the main package and this
// machine's platform package, packed as for publishing and installed from the
// two tarballs (`file:`: neither comes from a registry; the CLI's few
// dependencies come from npm's cache, else the registry) into a fresh directory with a
// PATH that holds no `cargo` or `rustc`. The README's first example then runs
// from there as written, as ESM and as CommonJS — only its image is swapped
// for the offline test image — and, on Node 24 and later, its `await using`
// example runs natively (Node 22 does not parse it). The installed size is
// reported.
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { IMAGE, socketPath } from './helpers'

const root = join(__dirname, '..')
const nodeMajor = Number(process.versions.node.split('.')[0])

/** The README's code block that follows `<!-- example: name -->`. */
function readmeExample(name: string): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const at = readme.indexOf(`<!-- example: ${name} -->`)
  assert.ok(at >= 0, `README.md has no "example: ${name}" marker`)
  const block = /```(?:js|ts)\n([\s\S]*?)```/.exec(readme.slice(at))
  assert.ok(block, `no code block after the "example: ${name}" marker`)
  return block[1]
}

/** The example with the offline test image in place of the one it names. */
function withTestImage(code: string): string {
  const swapped = code.replace(/image: '[^']+'/g, `image: '${IMAGE}'`)
  assert.notEqual(swapped, code, 'the example names an image')
  return swapped
}

/** The same program as CommonJS: `require` for the import, the body in an async function. */
function asCommonJs(esm: string): string {
  const imports = /^import \{([^}]+)\} from 'pocket-dock'\n/m
  const m = imports.exec(esm)
  assert.ok(m, 'the example imports from pocket-dock')
  const body = esm.replace(imports, '')
  return `const {${m[1]}} = require('pocket-dock')\n;(async () => {\n${body}\n})().catch((e) => {\n  console.error(e)\n  process.exit(1)\n})\n`
}

/** Bytes under `dir` (files only; symlinks not followed). */
function sizeOf(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size
  }
  return total
}

/** PATH without any directory that holds cargo or rustc, with this node first. */
function pathWithoutRust(): string {
  const dirs = [dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter)]
  return [...new Set(dirs)]
    .filter((d) => d && !existsSync(join(d, 'cargo')) && !existsSync(join(d, 'rustc')))
    .join(delimiter)
}

describe('packed install', { timeout: 600_000 }, () => {
  let work: string
  let app: string
  let env: NodeJS.ProcessEnv

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'pd-packed-'))
    app = join(work, 'app')
    env = { ...process.env, PATH: pathWithoutRust(), POCKET_DOCK_SOCKET: socketPath ?? '' }
    delete env.NODE_OPTIONS // no tsx: the user's node runs the example as written
    const npm = (args: string[], cwd: string) =>
      execFileSync('npm', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    // The platform package of this machine: the built addon and runner, staged
    // into a copy of npm/<platform> (scripts/platform-packages.mjs).
    const staged = join(work, 'platform')
    execFileSync(process.execPath, [join(root, 'scripts/platform-packages.mjs'), 'stage', '--into', staged], {
      stdio: 'ignore',
    })
    const packed = (dir: string) =>
      join(
        work,
        (JSON.parse(npm(['pack', '--json', '--pack-destination', work], dir)) as { filename: string }[])[0].filename,
      )
    const mainTgz = packed(root)
    const platformTgz = packed(staged)
    execFileSync('mkdir', ['-p', app])
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }) + '\n')
    npm(['install', '--prefer-offline', '--no-audit', '--no-fund', `file:${mainTgz}`, `file:${platformTgz}`], app)
  })

  after(() => rmSync(work, { recursive: true, force: true }))

  const node = (file: string) =>
    spawnSync(process.execPath, [file], { cwd: app, env, encoding: 'utf8', timeout: 120_000 })

  it('installs without Rust: no cargo or rustc on PATH, no native build, the prebuilt addon from the platform package', () => {
    const which = spawnSync('sh', ['-c', 'command -v cargo || command -v rustc'], { env, encoding: 'utf8' })
    assert.notEqual(which.status, 0, `found ${which.stdout}`)
    const modules = join(app, 'node_modules')
    assert.ok(existsSync(join(modules, 'pocket-dock', 'dist', 'index.js')))
    const platform = readdirSync(modules).filter((n) => n.startsWith('pocket-dock-'))
    assert.deepEqual(platform, ['pocket-dock-linux-x64-gnu'])
    const files = readdirSync(join(modules, 'pocket-dock-linux-x64-gnu')).sort()
    assert.deepEqual(files, ['README.md', 'package.json', 'pocket-dock-runner', 'pocket-dock.linux-x64-gnu.node'])
    // No .node file in the main package: the addon comes from the platform package.
    assert.ok(!readdirSync(join(modules, 'pocket-dock')).some((f) => f.endsWith('.node')))
    const sizes = {
      'pocket-dock': sizeOf(join(modules, 'pocket-dock')),
      'pocket-dock-linux-x64-gnu': sizeOf(join(modules, 'pocket-dock-linux-x64-gnu')),
    }
    const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`
    console.log(
      `installed size: pocket-dock ${mib(sizes['pocket-dock'])}, pocket-dock-linux-x64-gnu ${mib(sizes['pocket-dock-linux-x64-gnu'])}, node_modules ${mib(sizeOf(modules))}`,
    )
  })

  it("the README's first example runs as ESM", () => {
    writeFileSync(join(app, 'first.mjs'), withTestImage(readmeExample('first')))
    const r = node('first.mjs')
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /^hello\n 0 true$/m)
  })

  it("the README's first example runs as CommonJS", () => {
    writeFileSync(join(app, 'first.cjs'), asCommonJs(withTestImage(readmeExample('first'))))
    const r = node('first.cjs')
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /^hello\n 0 true$/m)
  })

  it('finds the runner in the platform package: commands are killed the subreaper way', () => {
    writeFileSync(
      join(app, 'runner.mjs'),
      `import { createNewContainer } from 'pocket-dock'
const c = await createNewContainer({ image: '${IMAGE}' })
try {
  console.log((await c.info()).killMode)
} finally {
  await c.shutdown()
}
`,
    )
    const r = node('runner.mjs')
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stdout.trim(), 'subreaper')
  })

  it("the README's `await using` example runs natively on Node 24 and later", (t) => {
    if (nodeMajor < 24) {
      t.skip(`Node ${process.versions.node} does not parse \`await using\` (the try/finally form above runs instead)`)
      return
    }
    writeFileSync(join(app, 'using.mjs'), withTestImage(readmeExample('await-using')))
    const r = node('using.mjs')
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /^hello\n 0 true$/m)
    assert.match(r.stdout, /timedOut: true/)
  })
})
