// The per-platform npm packages (npm/<platform>/), kept in step with the main
// package by one script:
//
//   sync   writes npm/<platform>/package.json for every napi target (same
//          version, os/cpu/libc, engines), the main package's
//          optionalDependencies, and their package-lock.json entries (the
//          platform packages are not on a registry until the first release,
//          so npm cannot write those entries itself).
//   check  fails if `sync` would change anything (run by `npm run lint`).
//   stage  copies the built addon and the in-container runner into the
//          package of this machine's platform, or of `--target <triple>` with
//          `--addon <file>` and `--runner <file>` (the release workflow),
//          since `napi prepublish` copies the .node file only; `--into <dir>`
//          stages a copy of the package there instead (the packed-install test).
//
// Why the runner goes in every package: it runs inside the containers, which
// are Linux on every host (Docker Desktop and Podman machine run a Linux VM of
// the host's CPU), so each package carries the static Linux runner of its CPU.
import { copyFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseTriple } from '@napi-rs/cli'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const read = (p) => JSON.parse(readFileSync(join(root, p), 'utf8'))
const json = (v) => JSON.stringify(v, null, 2) + '\n'

const main = read('package.json')
const binaryName = main.napi.binaryName
const RUNNER = 'pocket-dock-runner'
/** Rust target of the static Linux runner for each CPU (see scripts/build-runner.mjs). */
export const RUNNER_TARGETS = { x64: 'x86_64-unknown-linux-gnu', arm64: 'aarch64-unknown-linux-gnu' }

/** Everything about one platform package, derived from a napi target triple. */
export function platformOf(triple) {
  const { platformArchABI, platform, arch, abi } = parseTriple(triple)
  const name = `${main.name}-${platformArchABI}`
  const node = `${binaryName}.${platformArchABI}.node`
  const pkg = {
    name,
    version: main.version,
    description: `The ${platformArchABI} binary of ${main.name} (installed automatically as an optional dependency).`,
    license: main.license,
    main: node,
    files: [node, RUNNER],
    os: [platform],
    cpu: [arch],
    engines: main.engines,
  }
  if (abi === 'gnu') pkg.libc = ['glibc']
  if (abi === 'musl') pkg.libc = ['musl']
  return { triple, dir: `npm/${platformArchABI}`, platformArchABI, platform, arch, abi, node, pkg }
}

export const platforms = () => main.napi.targets.map(platformOf)

function readme(p) {
  return `# ${p.pkg.name}\n\nThe prebuilt \`${p.platformArchABI}\` binary of [${main.name}](../../README.md), with the static Linux runner its containers use. Install \`${main.name}\`; npm picks this package for you.\n`
}

/** What `sync` writes: path → content. */
function wanted() {
  const out = new Map()
  const optional = {}
  const lock = read('package-lock.json')
  for (const p of platforms()) {
    out.set(`${p.dir}/package.json`, json(p.pkg))
    out.set(`${p.dir}/README.md`, readme(p))
    optional[p.pkg.name] = main.version
    const entry = {
      version: main.version,
      resolved: `https://registry.npmjs.org/${p.pkg.name}/-/${p.pkg.name}-${main.version}.tgz`,
      license: main.license,
      optional: true,
      os: p.pkg.os,
      cpu: p.pkg.cpu,
      engines: main.engines,
    }
    if (p.pkg.libc) entry.libc = p.pkg.libc
    lock.packages[`node_modules/${p.pkg.name}`] = entry
  }
  const pkg = { ...main, optionalDependencies: optional }
  out.set('package.json', json(pkg))
  lock.version = main.version
  lock.packages[''] = { ...lock.packages[''], version: main.version, optionalDependencies: optional }
  // Entries of platform packages no longer in the target list go.
  for (const key of Object.keys(lock.packages)) {
    const name = key.replace(/^node_modules\//, '')
    if (key.startsWith(`node_modules/${main.name}-`) && !(name in optional)) delete lock.packages[key]
  }
  out.set('package-lock.json', json(lock))
  return out
}

function sync() {
  for (const [path, content] of wanted()) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), content)
  }
}

function check() {
  const stale = [...wanted()].filter(([path, content]) => {
    const file = join(root, path)
    return !existsSync(file) || readFileSync(file, 'utf8') !== content
  })
  if (stale.length) {
    console.error(`platform-packages: out of step: ${stale.map(([p]) => p).join(', ')}`)
    console.error('run `node scripts/platform-packages.mjs sync` and commit the result')
    process.exit(1)
  }
}

function stage(args) {
  const opt = (name) => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 ? args[i + 1] : undefined
  }
  const triple = opt('target') ?? localTriple()
  const p = platformOf(triple)
  const addon = opt('addon') ?? join(root, p.node)
  const runner = opt('runner') ?? join(root, RUNNER)
  for (const [what, file] of [
    ['addon', addon],
    ['runner', runner],
  ]) {
    if (!existsSync(file)) {
      console.error(`platform-packages: no ${what} at ${file}: build first (npm run build, or npm run build:release)`)
      process.exit(1)
    }
  }
  const into = opt('into') ?? join(root, p.dir)
  mkdirSync(into, { recursive: true })
  writeFileSync(join(into, 'package.json'), json(p.pkg))
  writeFileSync(join(into, 'README.md'), readme(p))
  copyFileSync(addon, join(into, p.node))
  copyFileSync(runner, join(into, RUNNER))
  chmodSync(join(into, RUNNER), 0o755)
  console.log(into)
}

function localTriple() {
  const found = platforms().find(
    (p) =>
      p.platform === process.platform &&
      p.arch === process.arch &&
      (p.platform !== 'linux' || p.abi === (process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl')),
  )
  if (!found) {
    console.error(`platform-packages: no target for ${process.platform}-${process.arch}`)
    process.exit(1)
  }
  return found.triple
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [cmd, ...rest] = process.argv.slice(2)
  if (cmd === 'sync') sync()
  else if (cmd === 'check') check()
  else if (cmd === 'stage') stage(rest)
  else {
    console.error(
      'usage: node scripts/platform-packages.mjs sync|check|stage [--target <triple> --addon <file> --runner <file> --into <dir>]',
    )
    process.exit(2)
  }
}
