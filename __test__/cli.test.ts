// The pocket-dock CLI end to end: every test spawns the built bin
// (dist/cli/bin.js, as `npm run build` makes it) against the engine under test
// and checks what a user sees: stdout, stderr, the exit code, and what is on
// the engine afterwards.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { destroyContainer, listContainers, projectInfo, removeImage, version } from 'pocket-dock'
import { IMAGE, engineCli, engineKind, makeDir, socketPath } from './helpers'

const BIN = join(__dirname, '..', 'dist', 'cli', 'bin.js')
const id = randomBytes(3).toString('hex')
const BOX = `pdcli-${id}`
const made = new Set<string>([BOX])
const images = new Set<string>()

interface Ran {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * Runs the CLI with `args` in `cwd`. stdin is `input` (then closed), or
 * nothing (not a terminal, at its end). With `pty`, it runs under script(1)
 * in a pseudo-terminal and `onStdout` types into it. `onStdout` sees stdout
 * as it comes, with the child.
 */
function cli(
  args: string[],
  opts: {
    input?: string
    cwd?: string
    pty?: boolean
    /** Options for node itself, before the bin. */
    nodeArgs?: string[]
    onStdout?: (text: string, child: ReturnType<typeof spawn>) => void
  } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const node = [...(opts.nodeArgs ?? []), BIN, ...args]
    const line = [process.execPath, ...node].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
    const [file, argv] = opts.pty ? ['script', ['-qfec', line, '/dev/null']] : [process.execPath, node]
    const child = spawn(file, argv, {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', POCKET_DOCK_SOCKET: socketPath ?? '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
      opts.onStdout?.(stdout, child)
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    if (!opts.pty) child.stdin.end(opts.input ?? '')
    // A hang guard: no CLI call in these tests takes near this long.
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(guard)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

/** The CLI's `--json` output, which must be one JSON document and nothing else. */
async function json<T = any>(args: string[], opts: { input?: string; code?: number; cwd?: string } = {}): Promise<T> {
  const r = await cli(['--json', ...args], { input: opts.input, cwd: opts.cwd })
  assert.equal(r.code, opts.code ?? 0, r.stderr)
  try {
    return JSON.parse(r.stdout) as T
  } catch {
    assert.fail(`${args.join(' ')} --json printed more than one JSON document:\n${r.stdout}`)
  }
}

const mine = async () => (await listContainers({ socketPath })).filter((c) => c.name.startsWith(`pdcli-${id}`))

before(async () => {
  assert.ok(existsSync(BIN), `${BIN} is missing: npm run build`)
  const r = await cli(['create', '--image', IMAGE, '--name', BOX, '-l', 'pocket-dock-test=js', '-e', 'GREETING=hi'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, new RegExp(`created ${BOX} \\([0-9a-f]{12}\\)`))
})

after(async () => {
  for (const name of made) await destroyContainer(name, { socketPath }).catch(() => {})
  for (const ref of images) await removeImage(ref, { socketPath, force: true }).catch(() => {})
})

describe('pocket-dock CLI', { timeout: 300_000 }, () => {
  it('--version, --help on every command (with examples), and usage errors: exit 2, help, a suggestion, nothing created', async () => {
    const v = await cli(['--version'])
    assert.deepEqual([v.code, v.stdout], [0, `${version}\n`])
    // --version, --help and usage errors never load the native addon (startup stays at node's own).
    const dir = mkdtempSync(join(tmpdir(), 'pdcli-noaddon-'))
    const preload = join(dir, 'no-addon.js')
    writeFileSync(preload, "require('module')._extensions['.node'] = () => { throw new Error('ADDON LOADED') }\n")
    for (const [args, code] of [
      [['--version'], 0],
      [['--help'], 0],
      [['run', '--help'], 0],
      [['lst'], 2],
      [['list'], 1],
    ] as const) {
      const r = await cli([...args], { nodeArgs: ['-r', preload] })
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`)
      assert.equal(/ADDON LOADED|native binding/.test(r.stderr), args[0] === 'list', `${args.join(' ')} and the addon`)
    }
    rmSync(dir, { recursive: true, force: true })
    const help = await cli(['--help'])
    assert.equal(help.code, 0)
    const commands = [
      'quickstart',
      'init',
      'status',
      'doctor',
      'logs',
      'create',
      'run',
      'shell',
      'push',
      'pull',
      'reboot',
      'stop',
      'resume',
      'destroy',
      'prune',
      'list',
      'info',
      'snapshot',
      'build',
      'profiles',
      'export',
      'import',
      'images',
      'pull-image',
    ]
    for (const c of commands) {
      assert.match(help.stdout, new RegExp(`^  ${c}\\b`, 'm'), `${c} in --help`)
      const h = await cli([c, '--help'])
      assert.equal(h.code, 0, c)
      assert.match(h.stdout, /Examples:\n {2}\$ pocket-dock /, `${c} --help has examples`)
    }

    const before = (await mine()).length
    const cases: Array<[string[], RegExp]> = [
      [['lst'], /unknown command 'lst'[\s\S]*Did you mean one of list, ls\?/],
      [['create', '--imag', IMAGE], /unknown option '--imag'[\s\S]*Did you mean --image\?/],
      [['run'], /missing required argument 'name'/],
      [
        ['create', '--image', IMAGE, '--name', `pdcli-${id}-port`, '-p', '8080:99999'],
        /'-p, --port.*'8080:99999' is invalid/,
      ],
      [
        ['create', '--image', IMAGE, '--name', `pdcli-${id}-mem`, '--mem', 'lots'],
        /'--mem <size>' argument 'lots' is invalid/,
      ],
      // Refused by the API before the engine is called: a usage error all the same.
      [['create', '--image', IMAGE, '--name', `pdcli-${id}-mem`, '--mem', '1k'], /must be at least 6m/],
      [['build'], /name the profiles to build, or pass --all/],
    ]
    for (const [args, message] of cases) {
      const r = await cli(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, message)
      assert.match(r.stderr, /Usage: pocket-dock/, `${args.join(' ')} prints help`)
      assert.equal(r.stdout, '')
    }
    assert.equal((await mine()).length, before, 'no usage error created a container')
  })

  it('run: the exit code (0, 3, 124 on timeout), stdout and stderr apart, argv vs shell line, env, --json', async () => {
    let r = await cli(['run', BOX, '--', 'echo', 'a b', '$GREETING'])
    assert.deepEqual([r.code, r.stdout], [0, 'a b $GREETING\n'], 'several arguments are an argv: no shell')
    r = await cli(['run', BOX, 'echo $GREETING; echo oops >&2; exit 3'])
    assert.deepEqual([r.code, r.stdout, r.stderr], [3, 'hi\n', 'oops\n'])
    r = await cli(['run', BOX, '--timeout', '1', '--', 'sh', '-c', 'echo started; sleep 30'])
    assert.equal(r.code, 124)
    assert.equal(r.stdout, 'started\n')
    assert.match(r.stderr, /timed out after 1\.\d s/)
    r = await cli(['run', BOX, '-e', 'X=1', '-w', '/tmp', '--', 'sh', '-c', 'echo $X $(pwd)'])
    assert.equal(r.stdout, '1 /tmp\n')
    const res = await json(['run', BOX, '--', 'sh', '-c', 'printf out; exit 4'], { code: 4 })
    assert.deepEqual(
      { ...res, durationMs: 0 },
      {
        exitCode: 4,
        stdout: 'out',
        stderr: '',
        durationMs: 0,
        timedOut: false,
        truncated: false,
        oomKilled: false,
        ok: false,
      },
    )
    r = await cli(['run', BOX, '--lang', 'sh', 'echo lang'])
    assert.equal(r.stdout, 'lang\n')
  })

  it('run: stdin piped through; --stream (human and JSON Lines); --detach prints an id and the process keeps running', async () => {
    let r = await cli(['run', BOX, '--', 'wc', '-c'], { input: 'x'.repeat(100_000) })
    assert.deepEqual([r.code, r.stdout.trim()], [0, '100000'])
    r = await cli(['run', BOX, '--', 'sh', '-c', 'read a; read b; echo "$b $a"'], { input: 'one\ntwo\n' })
    assert.equal(r.stdout, 'two one\n')
    r = await cli(['run', BOX, '--stream', 'echo a; echo b >&2; exit 5'])
    assert.deepEqual([r.code, r.stdout, r.stderr], [5, 'a\n', 'b\n'])
    r = await cli(['run', BOX, '--stream', '--json', 'echo a; exit 6'])
    assert.equal(r.code, 6)
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    assert.deepEqual(lines[0], { stream: 'stdout', data: 'a\n' })
    assert.equal(lines.at(-1).exitCode, 6)
    const d = await json<{ id: string }>(['run', BOX, '--detach', '--', 'sleep', '57'])
    assert.match(d.id, /\S/)
    r = await cli(['run', BOX, 'ps -o args'])
    assert.match(r.stdout, /sleep 57/, 'the detached process outlives the CLI call')
    r = await cli(['run', BOX, '-d', 'sleep 58'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, /^\S+\n$/)
  })

  it('run: Ctrl-C kills the command inside the container and exits 130', async () => {
    let sent = false
    const r = await cli(['run', BOX, '--stream', '--', 'sh', '-c', 'echo started; sleep 71; echo never'], {
      onStdout: (text, child) => {
        if (!sent && text.includes('started')) {
          sent = true
          child.kill('SIGINT')
        }
      },
    })
    assert.equal(r.code, 130, r.stderr)
    assert.doesNotMatch(r.stdout, /never/)
    const ps = await cli(['run', BOX, 'ps -o args'])
    assert.doesNotMatch(ps.stdout, /sleep 71/, 'the command was killed inside the container')
  })

  it('list, info, status: tables and JSON with the API field names; a missing container is exit 1 with a one-line hint', async () => {
    let r = await cli(['list'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, /^NAME +ID +STATUS +IMAGE +CREATED +PERSIST +PROJECT$/m)
    assert.match(
      r.stdout,
      new RegExp(`^${BOX} +[0-9a-f]{12} +running +(docker\\.io/)?${IMAGE.replace(/[/.]/g, '\\$&')} +.*(ago|now)`, 'm'),
    )
    const items = await json<any[]>(['list', '--all'])
    const item = items.find((c) => c.name === BOX)
    assert.deepEqual(Object.keys(item).sort(), ['createdAt', 'id', 'image', 'name', 'persist', 'project', 'status'])
    assert.equal(item.persist, true, 'create keeps containers by default')

    r = await cli(['info', BOX])
    assert.match(r.stdout, /^Status: +running for /m)
    assert.match(r.stdout, /^Memory: +[\d.]+ (B|KiB|MiB) \/ /m)
    const info = await json(['info', BOX])
    assert.equal(info.name, BOX)
    assert.equal(info.status, 'running')
    assert.ok(Array.isArray(info.processes) && typeof info.memoryUsageBytes === 'number')

    const status = await json(['status'])
    assert.ok(status.running >= 1)

    r = await cli(['info', `pdcli-${id}-nope`])
    assert.equal(r.code, 1)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /^error: no container named pdcli-\w+-nope.*`pocket-dock list --all`/)
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line')
    r = await cli(['info', `pdcli-${id}-nope`, '--verbose'])
    assert.match(r.stderr, /ContainerNotFound \(CONTAINER_NOT_FOUND\)/)
  })

  it('push, pull, snapshot, reboot, stop, resume, destroy (asking first), in human and JSON modes', async () => {
    const name = `pdcli-${id}-life`
    made.add(name)
    const c = await json([
      'create',
      '--image',
      IMAGE,
      '--name',
      name,
      '-l',
      'pocket-dock-test=js',
      '--tmpfs',
      '/scratch:size=8m',
      '--mem',
      '64m',
      '-e',
      'MODE=life',
    ])
    assert.deepEqual([c.name, c.persist], [name, true])
    const flags = await cli(['run', name, 'grep " /scratch " /proc/mounts | wc -l; echo $MODE'])
    assert.equal(flags.stdout, '1\nlife\n', 'create flags reach the container')
    assert.match((await cli(['info', name])).stdout, /^Memory: .* \/ 64(\.0)? MiB/m)
    const dir = makeDir({ 'a.txt': 'hello', 'sub/b.txt': 'deep' })
    let r = await cli(['push', name, dir, '/tmp/in'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /copied .* -> .*:\/tmp\/in/)
    assert.equal((await cli(['run', name, 'cat /tmp/in/sub/b.txt'])).stdout, 'deep')
    const out = mkdtempSync(join(tmpdir(), 'pdcli-pull-'))
    await json(['pull', name, '/tmp/in', join(out, 'copy')])
    assert.equal(readFileSync(join(out, 'copy', 'a.txt'), 'utf8'), 'hello')

    const snap = `pdcli-test/snap-${id}:1`
    images.add(snap)
    const s = await json(['snapshot', name, snap])
    assert.match(s.id, /^sha256:/)

    await cli(['run', name, 'touch /tmp/marker'])
    r = await cli(['reboot', name])
    assert.match(r.stdout, /rebooted/)
    assert.equal((await cli(['run', name, 'ls /tmp/marker'])).code, 0, 'a plain reboot keeps files')
    await json(['reboot', name, '--fresh'])
    assert.notEqual((await cli(['run', name, 'ls /tmp/marker'])).code, 0, '--fresh starts from the image')

    r = await cli(['stop', name])
    assert.match(r.stdout, /stopped/)
    assert.equal((await json<any[]>(['list', '--all'])).find((x) => x.name === name)?.status, 'exited')
    assert.equal(
      (await json<any[]>(['list'])).find((x) => x.name === name),
      undefined,
      'list shows running ones',
    )
    r = await cli(['info', name])
    assert.match(r.stdout, /^Status: +exited/m, 'info does not start a stopped container')
    r = await cli(['resume', name])
    assert.match(r.stdout, new RegExp(`${name} is running`))

    r = await cli(['destroy', name], { input: 'n\n' })
    assert.equal(r.code, 1)
    assert.match(r.stderr, /Stop and remove container .*\[y\/N\]/)
    assert.equal(
      (await mine()).some((x) => x.name === name),
      true,
      'answering no keeps it',
    )
    r = await cli(['shutdown', name], { input: 'y\n' })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(
      (await mine()).some((x) => x.name === name),
      false,
    )
    rmSync(out, { recursive: true, force: true })
  })

  it('prune --project, and create --no-persist holding the container until Ctrl-C', async () => {
    const name = `pdcli-${id}-prune`
    made.add(name)
    const project = `pdcli-${id}`
    await json(['create', '--image', IMAGE, '--name', name, '--project', project, '-l', 'pocket-dock-test=js'])
    await json(['stop', name])
    const p = await json(['prune', '-y', '--project', project])
    assert.equal(p.removed, 1)
    assert.equal(
      (await mine()).some((x) => x.name === name),
      false,
    )

    const eph = `pdcli-${id}-eph`
    made.add(eph)
    let seen = false
    const r = await cli(
      ['create', '--image', IMAGE, '--name', eph, '--no-persist', '-l', 'pocket-dock-test=js', '--json'],
      {
        onStdout: (text, child) => {
          if (!seen && text.includes('}')) {
            seen = true
            // It exists while the command holds it.
            void listContainers({ socketPath }).then((all) => {
              assert.ok(all.some((x) => x.name === eph && x.status === 'running'))
              child.kill('SIGINT')
            })
          }
        },
      },
    )
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).persist, false)
    assert.equal(
      (await mine()).some((x) => x.name === eph),
      false,
      'removed on Ctrl-C',
    )
  })

  it('build --context, export and import with progress lines on stderr, images, profiles, quickstart', async () => {
    const tag = `pdcli-test/built-${id}:1`
    images.add(tag)
    const ctx = makeDir({ Dockerfile: `FROM ${IMAGE}\nRUN echo built-${id} > /built.txt\n` })
    let r = await cli(['build', '--context', ctx, '--tag', tag])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, new RegExp(`${tag}: step 1/\\d+: FROM`), 'plain step lines when not on a terminal')
    assert.match(r.stdout, new RegExp(`built ${tag} \\([0-9a-f]{12}\\)`))
    const built = await json<any[]>(['build', '--context', ctx, '--tag', tag, '--no-cache'])
    assert.match(built[0].id, /^sha256:/)

    const list = await json<any[]>(['images', '--all'])
    assert.ok(list.some((i) => i.tags.some((t: string) => t.includes(`built-${id}`))))
    r = await cli(['images', '--all'])
    assert.match(r.stdout, /^IMAGE +ID +SIZE +CREATED +PROFILE$/m)
    assert.match(r.stdout, /\d+(\.\d)? (KiB|MiB) /, 'sizes in binary units')

    const dir = mkdtempSync(join(tmpdir(), 'pdcli-archive-'))
    const file = join(dir, 'images.tar.gz')
    r = await cli(['export', '--image', tag, '-o', file])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /export .*images\.tar\.gz: [\d.]+ (B|KiB|MiB) \([\d.]+ (B|KiB|MiB)\/s\)/)
    assert.deepEqual(readFileSync(file).subarray(0, 2), Buffer.from([0x1f, 0x8b]), '.gz is gzip')
    await removeImage(tag, { socketPath, force: true })
    r = await cli(['import', file])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /import .*: [\d.]+ (B|KiB|MiB) of [\d.]+ (KiB|MiB)/)
    assert.match(r.stdout, /imported .*built-/)
    const box = `pdcli-${id}-img`
    made.add(box)
    await json(['create', '--image', tag, '--name', box, '-l', 'pocket-dock-test=js'])
    assert.equal((await cli(['run', box, 'cat /built.txt'])).stdout, `built-${id}\n`)
    await json(['destroy', box, '-y'])
    assert.deepEqual((await json(['import', file])).tags.length, 1)
    rmSync(dir, { recursive: true, force: true })

    const profiles = await json<any[]>(['profiles'])
    assert.deepEqual(
      profiles.map((p) => p.name),
      ['minimal-python', 'minimal-node', 'minimal-bun', 'dev', 'agent', 'embedded'],
    )
    r = await cli(['profiles'])
    assert.match(r.stdout, /^minimal-python +pocket-dock\/minimal-python +off /m)
    r = await cli(['quickstart'])
    assert.match(r.stdout, /pocket-dock create --name box/)
    assert.ok((await json<any[]>(['quickstart'])).length > 3)
  })

  it('shell: a real terminal (raw mode, TERM, size) under script(1); `exit` leaves with its code', async () => {
    let step = 0
    const r = await cli(['shell', BOX], {
      pty: true,
      onStdout: (text, child) => {
        // Type only once the shell has printed its prompt.
        if (step === 0 && /[#$] /.test(text)) {
          step = 1
          child.stdin!.write('echo $((6*7)) $TERM; stty size\n')
        } else if (step === 1 && /^42 \S+\r*$/m.test(text) && /^\d+ \d+\r*$/m.test(text)) {
          step = 2
          child.stdin!.write('exit 7\n')
        }
      },
    })
    assert.equal(step, 2, r.stdout)
    assert.match(r.stdout, new RegExp(`^42 ${process.env.TERM || 'xterm-256color'}\\r*$`, 'm'))
    assert.match(r.stdout, /^24 80\r*$/m, 'the default size when the outer terminal has none')
    assert.equal(r.code, 7)
  })

  it('init, status, doctor, logs (table, JSON Lines, --type, --last, --follow) in a project directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdcli-project-'))
    const project = `pdcli-proj-${id}`
    const name = `pdcli-${id}-proj`
    made.add(name)
    try {
      let r = await cli(['logs'], { cwd: dir })
      assert.equal(r.code, 1)
      assert.match(r.stderr, /^error: not inside a pocket-dock project.*`pocket-dock init`/)
      r = await cli(['init', '--name', project], { cwd: dir })
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, new RegExp(`project ${project} at `))
      assert.equal(projectInfo(dir).projectName, project)
      let st = await json(['status'], { cwd: dir })
      assert.deepEqual(st.project.name, project)
      await json(['create', '--image', IMAGE, '--name', name, '-l', 'pocket-dock-test=js'], { cwd: dir })
      assert.equal((await cli(['run', name, 'echo one'], { cwd: dir })).code, 0)
      assert.equal((await cli(['run', name, 'exit 2'], { cwd: dir })).code, 2)
      await cli(['run', name, '--stream', 'echo two'], { cwd: dir })
      st = await json(['status'], { cwd: dir })
      assert.deepEqual([st.project.instances, st.containers, st.running], [1, 1, 1])
      r = await cli(['status'], { cwd: dir })
      assert.match(r.stdout, new RegExp(`^Project: +${project}`, 'm'))

      // History lines are written when each command ends, by a background writer.
      let lines: any[] = []
      for (let i = 0; i < 40 && lines.length < 3; i++) {
        await new Promise((res) => setTimeout(res, 250))
        const l = await cli(['logs', '--json'], { cwd: dir })
        lines = l.stdout.trim()
          ? l.stdout
              .trim()
              .split('\n')
              .map((x) => JSON.parse(x))
          : []
      }
      assert.deepEqual(
        lines.map((l) => [l.container, l.kind, l.command, l.exitCode]),
        [
          [name, 'run', 'echo one', 0],
          [name, 'run', 'exit 2', 2],
          [name, 'stream', 'echo two', 0],
        ],
      )
      r = await cli(['logs', name, '--type', 'stream'], { cwd: dir })
      assert.match(r.stdout, /^TIME +CONTAINER +KIND +EXIT +TOOK +COMMAND$/m)
      assert.match(r.stdout, new RegExp(`${name} +stream +0 +\\d+ ms +echo two`))
      assert.doesNotMatch(r.stdout, /echo one/)
      r = await cli(['logs', '--last', '1', '--json'], { cwd: dir })
      assert.equal(r.stdout.trim().split('\n').length, 1)

      let followed = false
      const f = await cli(['logs', '--follow', '--last', '1'], {
        cwd: dir,
        onStdout: (text, child) => {
          if (!followed && text.includes('echo two')) {
            followed = true
            void cli(['run', name, 'echo three'], { cwd: dir })
          } else if (text.includes('echo three')) child.kill('SIGINT')
        },
      })
      assert.match(f.stdout, /echo three/, '--follow shows new entries')

      const doc = await json(['doctor'], { cwd: dir })
      assert.deepEqual(doc, { orphanedContainers: [], staleInstanceDirs: [], healthy: 1 })
      r = await cli(['doctor'], { cwd: dir })
      assert.match(r.stdout, /1 container with their instance directory/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('pull-image from the local registry with per-layer progress lines', async () => {
    const ref = `127.0.0.1:5000/pd-test/cli-${id}:1`
    images.add(ref)
    const up = await fetch('http://127.0.0.1:5000/v2/').then(
      (r) => r.ok,
      () => false,
    )
    if (!up) assert.fail('the registry on 127.0.0.1:5000 is not up: bash scripts/start-registry.sh')
    await engineCli(['tag', IMAGE, ref])
    await engineCli((await engineKind()) === 'podman' ? ['push', '--tls-verify=false', ref] : ['push', ref])
    await removeImage(ref, { socketPath, force: true })
    const r = await cli(['pull-image', ref])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /pulled .*cli-/)
    assert.ok(r.stderr.split('\n').filter(Boolean).length >= 1, 'progress lines')
    const missing = await cli(['pull-image', `127.0.0.1:5000/pd-test/none-${id}:1`])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /^error: .*none-/m)
  })
})
