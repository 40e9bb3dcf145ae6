// pocket-dock demo, the CLI part: the same sandbox from a shell, through the
// `pocket-dock` bin (dist/cli/bin.js). `npm run demo` runs it after
// examples/demo.mjs, on the demo image that script built. See docs/cli.md.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { ensureImage } from '../scripts/test-image.mjs'

const BIN = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url))
const IMAGE = 'pocket-dock-demo/busybox:latest'
const name = `pd-demo-cli-${randomBytes(3).toString('hex')}`

/** Runs `pocket-dock ARGS`, showing the command line, its output and its exit code. */
function pd(args, input, { brief = false } = {}) {
  const shown = args.map((a) => (/[\s$'"|;]/.test(a) ? `'${a}'` : a)).join(' ')
  console.log(`\n$ ${input === undefined ? '' : `echo ${JSON.stringify(input.trim())} | `}pocket-dock ${shown}`)
  const t = performance.now()
  const r = spawnSync(process.execPath, [BIN, ...args], { input: input ?? '', encoding: 'utf8' })
  process.stdout.write(r.stdout)
  // A usage error prints the command's help too: its first lines say it all.
  process.stdout.write(brief ? `${r.stderr.split('\n').slice(0, 2).join('\n')}\n  …\n` : r.stderr)
  console.log(`  (exit ${r.status}, ${(performance.now() - t).toFixed(0)} ms)`)
  return r
}

console.log('\n--- the CLI ---')
await ensureImage(IMAGE, process.env.POCKET_DOCK_SOCKET || undefined)
pd(['--version'])
try {
  pd(['create', '--image', IMAGE, '--name', name, '--mem', '64m'])
  pd(['run', name, 'echo hello from $(hostname)'])
  pd(['run', name, '--', 'sh', '-c', 'echo oops >&2; exit 3'])
  pd(['run', name, '--timeout', '1', 'sleep 30'])
  pd(['run', name, '--', 'wc', '-w'], 'one two three\n')
  pd(['list'])
  pd(['--json', 'run', name, 'echo json'])
  pd(['creat', '--name', 'x'], undefined, { brief: true })
} finally {
  pd(['destroy', name, '-y'])
}
