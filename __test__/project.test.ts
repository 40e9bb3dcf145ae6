// Projects through the public API, on the engine under test, in temporary
// directories: init and the root found from a nested cwd, the config applied
// to createNewContainer, each persistent container's instance directory
// (instance.toml, history.jsonl, rotated logs), shutdown/resume/destroy,
// doctor, 200 concurrent runs, a full disk that never fails a run, bad input,
// and the sync facade.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import {
  ProjectConfigError,
  ProjectError,
  ProjectNotInitialized,
  SocketConnectionError,
  createNewContainer,
  destroyContainer,
  doctor,
  findProjectRoot,
  initProject,
  listContainers,
  resumeContainer,
  type HistoryLine,
} from 'pocket-dock'
import * as sync from 'pocket-dock/sync'
import { IMAGE, native, socketPath } from './helpers'

const run = randomBytes(4).toString('hex')
const LABEL = 'pocket-dock-test-project'
const labels = { 'pocket-dock-test': 'js', [LABEL]: run }
const home = process.cwd()
const dirs: string[] = []

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pd-project-'))
  dirs.push(d)
  return d
}

/** A new project in a temporary directory; given `yaml`, its config is `project_name` and those lines. */
function newProject(name: string, yaml = ''): string {
  const root = initProject(tempDir(), { projectName: name })
  if (yaml) writeFileSync(join(root, '.pocket-dock/pocket-dock.yaml'), `project_name: ${name}\n${yaml}`)
  return root
}

/** Runs `fn` with the cwd at `dir`. */
async function inDir<T>(dir: string, fn: () => Promise<T> | T): Promise<T> {
  process.chdir(dir)
  try {
    return await fn()
  } finally {
    process.chdir(home)
  }
}

function history(dataPath: string): HistoryLine[] {
  const file = join(dataPath, 'history.jsonl')
  if (!existsSync(file)) return []
  const text = readFileSync(file, 'utf8')
  assert.ok(text === '' || text.endsWith('\n'), 'history ends with a whole line')
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as HistoryLine)
}

/** The history once it holds `n` lines (the journal writes in the background). */
async function historyOf(dataPath: string, n: number): Promise<HistoryLine[]> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const lines = history(dataPath)
    if (lines.length >= n || Date.now() > deadline) return lines
    await new Promise((r) => setTimeout(r, 100))
  }
}

after(async () => {
  process.chdir(home)
  await native.internal.removeLabelled(LABEL, run, socketPath)
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('projects', { timeout: 300_000 }, () => {
  it('init writes a commented config and a .gitignore, is idempotent, and is found from a nested cwd', async () => {
    const root = tempDir()
    assert.equal(initProject(root, { projectName: 'app' }), root)
    const yaml = readFileSync(join(root, '.pocket-dock/pocket-dock.yaml'), 'utf8')
    for (const key of [
      'project_name: app',
      'default_profile: minimal-python',
      'default_persist: false',
      'auto_log: true',
    ]) {
      assert.ok(yaml.includes(key), `${key} in\n${yaml}`)
    }
    assert.match(yaml, /^# /m, 'commented')
    assert.match(readFileSync(join(root, '.pocket-dock/.gitignore'), 'utf8'), /^instances\/$/m)
    assert.equal(initProject(root), root)
    assert.equal(readFileSync(join(root, '.pocket-dock/pocket-dock.yaml'), 'utf8'), yaml, 'left as it was')
    const nested = join(root, 'src/deep/er')
    mkdirSync(nested, { recursive: true })
    assert.equal(findProjectRoot(nested), root)
    assert.equal(await inDir(nested, () => findProjectRoot()), root)
    assert.equal(findProjectRoot(tempDir()), null)
    assert.equal(await inDir(nested, () => sync.findProjectRoot()), root)
  })

  it('a persistent project container: history, rotated logs, shutdown/resume, destroy', async () => {
    const name = `pdp-${run}`
    const root = newProject(`proj-${run}`, 'default_persist: true\nmax_log_size: 1KB\nmax_logs_per_instance: 3\n')
    const nested = join(root, 'a/b')
    mkdirSync(nested, { recursive: true })
    const c = await inDir(nested, () => createNewContainer({ image: IMAGE, socketPath, labels, name }))
    assert.equal(c.persist, true, 'default_persist applied')
    assert.equal(c.project, `proj-${run}`)
    const dataPath = join(root, '.pocket-dock/instances', name)
    assert.equal(c.dataPath, dataPath)
    const toml = readFileSync(join(dataPath, 'instance.toml'), 'utf8')
    assert.match(toml, new RegExp(`^id = "${c.containerId}"$`, 'm'))
    assert.match(toml, new RegExp(`^name = "${name}"$`, 'm'))
    assert.match(toml, /^persist = true$/m)
    assert.match(toml, new RegExp(`^project = "proj-${run}"$`, 'm'))

    assert.equal((await c.run('echo one')).exitCode, 0)
    assert.equal((await c.run('exit 3')).exitCode, 3)
    const slow = await c.run('sleep 5', { timeout: 0.5 })
    assert.equal(slow.timedOut, true)
    const s = await c.session()
    assert.equal((await s.sendAndWait('cd /tmp && false')).exitCode, 1)
    assert.equal((await s.sendAndWait('pwd')).stdout.trim(), '/tmp')
    await s.close()
    const stream = await c.run('echo streamed; exit 4', { stream: true })
    for await (const _ of stream) void _
    const proc = await c.run('echo detached; exit 5', { detach: true })
    assert.equal((await proc.wait({ timeout: 30 })).exitCode, 5)

    let lines = await historyOf(dataPath, 7)
    assert.deepEqual(
      lines.map((l) => [l.kind, l.command, l.exitCode, l.timedOut]),
      [
        ['run', 'echo one', 0, false],
        ['run', 'exit 3', 3, false],
        ['run', 'sleep 5', -1, true],
        ['session', 'cd /tmp && false', 1, false],
        ['session', 'pwd', 0, false],
        ['stream', 'echo streamed; exit 4', 4, false],
        ['detach', 'echo detached; exit 5', 5, false],
      ],
    )
    for (const l of lines) {
      assert.ok(!Number.isNaN(Date.parse(l.time)), l.time)
      assert.equal(typeof l.durationMs, 'number')
      assert.equal(l.truncated, false)
    }
    assert.ok(lines[2].durationMs >= 400, 'the timed-out run took its timeout')

    // Logs: ~300 bytes a run into 1 KB files, at most 3 of them.
    for (let i = 0; i < 15; i++) await c.run(`printf 'x%.0s' $(seq 250); echo; echo run-${i}`)
    await c.shutdown()
    const logsDir = join(dataPath, 'logs')
    const logs = readdirSync(logsDir)
    assert.equal(logs.length, 3, `${logs}`)
    for (const f of logs) assert.ok(statSync(join(logsDir, f)).size <= 1024, `${f} is over max_log_size`)
    const current = readFileSync(join(logsDir, 'current.log'), 'utf8')
    assert.match(current, /run-14/, 'the newest output is in current.log')
    assert.match(current, /=== \S+ run \(exit 0, \d+ ms\): printf/)
    assert.equal(history(dataPath).length, 22, 'every line written by the time shutdown returns')

    // Resume (from anywhere) appends to the same directory.
    const again = await resumeContainer(name, { socketPath })
    assert.equal(again.dataPath, dataPath)
    assert.equal((await again.run('echo back')).exitCode, 0)
    await again.shutdown()
    lines = history(dataPath)
    assert.equal(lines.length, 23)
    assert.equal(lines[22].command, 'echo back')

    await destroyContainer(name, { socketPath })
    assert.equal(existsSync(dataPath), false, 'destroy removed the instance directory')
    assert.equal(existsSync(join(root, '.pocket-dock/pocket-dock.yaml')), true)
  })

  it('explicit options win over the config; an ephemeral project container has no instance directory', async () => {
    const root = newProject(`win-${run}`, 'default_persist: true\n')
    const c = await createNewContainer({ image: IMAGE, socketPath, labels, projectRoot: root, persist: false })
    try {
      assert.equal(c.persist, false)
      assert.equal(c.project, `win-${run}`)
      assert.equal(c.dataPath, null)
      await c.run('true')
    } finally {
      await c.shutdown()
    }
    assert.deepEqual(readdirSync(join(root, '.pocket-dock')).sort(), ['.gitignore', 'pocket-dock.yaml'])
    // Another project's name from inside this one: this project's config does not apply.
    const other = await inDir(root, () =>
      createNewContainer({ image: IMAGE, socketPath, labels, project: `other-${run}` }),
    )
    try {
      assert.equal(other.persist, false)
      assert.equal(other.project, `other-${run}`)
      assert.equal(other.dataPath, null)
    } finally {
      await other.shutdown()
    }
  })

  it('doctor reports a stale instance directory and an orphaned container', async () => {
    const project = `doc-${run}`
    const root = newProject(project)
    const opts = { image: IMAGE, socketPath, labels, projectRoot: root, persist: true }
    const healthy = await createNewContainer({ ...opts, name: `pdh-${run}` })
    const orphan = await createNewContainer({ ...opts, name: `pdo-${run}` })
    await healthy.shutdown()
    await orphan.shutdown()
    rmSync(orphan.dataPath!, { recursive: true })
    mkdirSync(join(root, '.pocket-dock/instances/ghost'), { recursive: true })
    const report = await doctor({ projectRoot: root, socketPath })
    assert.deepEqual(report, { orphanedContainers: [`pdo-${run}`], staleInstanceDirs: ['ghost'], healthy: 1 })
    // Found from the cwd too, and the same in the sync facade.
    assert.deepEqual(await inDir(join(root, '.pocket-dock'), () => doctor({ socketPath })), report)
    assert.deepEqual(sync.doctor({ projectRoot: root, socketPath }), report)
    await destroyContainer(`pdh-${run}`, { socketPath })
    await destroyContainer(`pdo-${run}`, { socketPath })
    assert.deepEqual(await doctor({ projectRoot: root, socketPath }), {
      orphanedContainers: [],
      staleInstanceDirs: ['ghost'],
      healthy: 0,
    })
    // Outside a project.
    const outside = tempDir()
    await assert.rejects(
      inDir(outside, () => doctor({ socketPath })),
      (e: unknown) => e instanceof ProjectNotInitialized && /pocket-dock init/.test(e.message),
    )
    await assert.rejects(doctor({ projectRoot: outside, socketPath }), ProjectNotInitialized)
  })

  it('200 concurrent runs on one persistent project container leave exactly 200 well-formed history lines', async () => {
    const root = newProject(`many-${run}`)
    const c = await createNewContainer({ image: IMAGE, socketPath, labels, projectRoot: root, persist: true })
    try {
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => c.run(`echo ${i}; exit ${i % 7}`, { timeout: 240 })),
      )
      results.forEach((r, i) => assert.equal(r.exitCode, i % 7, r.stderr))
    } finally {
      await c.shutdown()
    }
    const lines = history(c.dataPath!)
    assert.equal(lines.length, 200)
    const seen = new Map(lines.map((l) => [l.command, l.exitCode]))
    for (let i = 0; i < 200; i++) assert.equal(seen.get(`echo ${i}; exit ${i % 7}`), i % 7)
    await destroyContainer(c.name, { socketPath })
  })

  it('a full disk never fails a run: one PocketDockLogWarning per file that cannot be written', async (t) => {
    const root = newProject(`full-${run}`)
    const c = await createNewContainer({ image: IMAGE, socketPath, labels, projectRoot: root, persist: true })
    const dataPath = c.dataPath!
    const warnings: Error[] = []
    const onWarning = (w: Error) => {
      if (w.name === 'PocketDockLogWarning') warnings.push(w)
    }
    process.on('warning', onWarning)
    // A real 64 KB tmpfs over the instance directory, filled to the last byte.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dataPath])
    t.after(() => {
      process.off('warning', onWarning)
      execFileSync('umount', [dataPath])
    })
    try {
      writeFileSync(join(dataPath, 'filler'), Buffer.alloc(1024 * 1024))
    } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC')
    }
    for (let i = 0; i < 10; i++) {
      const r = await c.run(`echo ${i}`)
      assert.equal(r.ok, true)
      assert.equal(r.stdout, `${i}\n`)
    }
    const deadline = Date.now() + 20_000
    while (warnings.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    await c.run('echo more')
    await new Promise((r) => setTimeout(r, 1500))
    assert.equal(warnings.length, 2, warnings.map((w) => w.message).join('\n'))
    assert.ok(warnings.some((w) => /history of container/.test(w.message) && /No space left/.test(w.message)))
    assert.ok(warnings.some((w) => /output log of container/.test(w.message)))
    await c.shutdown()
  })

  it('a malformed config is a ProjectConfigError naming file, line and key; nothing is created', async () => {
    const project = `bad-${run}`
    const root = newProject(project)
    const file = join(root, '.pocket-dock/pocket-dock.yaml')
    const cases: [string, number, string | null][] = [
      [`project_name: ${project}\nauto_log: sometimes\n`, 2, 'auto_log'],
      [`project_name: ${project}\n\nmax_log_size: huge\n`, 3, 'max_log_size'],
      [`project_name: ${project}\ncolour: blue\n`, 2, 'colour'],
      [`project_name: ${project}\nsocket: [unclosed\n`, 3, null],
    ]
    for (const [yaml, line, key] of cases) {
      writeFileSync(file, yaml)
      await assert.rejects(
        inDir(root, () => createNewContainer({ image: IMAGE, socketPath, labels })),
        (e: unknown) => {
          assert.ok(e instanceof ProjectConfigError, String(e))
          assert.ok(e instanceof ProjectError)
          assert.equal(e.code, 'PROJECT_CONFIG_ERROR')
          assert.equal(e.file, file)
          assert.ok(e.message.startsWith(`${file}:`), e.message)
          if (key !== null) {
            assert.equal(e.line, line, e.message)
            assert.equal(e.key, key)
            assert.ok(e.message.includes(`\`${key}\``), e.message)
          } else {
            assert.ok(e.line !== null && e.line >= 2, e.message)
          }
          return true
        },
      )
    }
    writeFileSync(file, `max_log_size: lots\n`)
    await assert.rejects(doctor({ projectRoot: root, socketPath }), /expected a size like 10MB/)
    assert.deepEqual(await listContainers({ socketPath, project }), [])
  })

  it('bad input: not a directory, bad project names, an unwritable .pocket-dock, a socket that does not answer', async () => {
    const dir = tempDir()
    const file = join(dir, 'file')
    writeFileSync(file, 'x')
    assert.throws(
      () => initProject(file),
      (e: unknown) => e instanceof TypeError && /not a directory/.test(String(e)),
    )
    assert.throws(() => initProject(join(dir, 'missing')), TypeError)
    assert.throws(() => findProjectRoot(file), TypeError)
    assert.throws(
      () => initProject(dir, { projectName: 'a/b' }),
      (e: unknown) => e instanceof TypeError && /'\/'/.test(String(e)),
    )
    assert.throws(() => initProject(dir, { projectName: 'a\nb' }), TypeError)
    assert.throws(() => initProject(dir, { projectName: 7 as unknown as string }), TypeError)
    await assert.rejects(createNewContainer({ image: IMAGE, socketPath, labels, project: 'x/y' }), TypeError)
    assert.equal(existsSync(join(dir, '.pocket-dock')), false, 'nothing written')

    // We may be root, whom permissions do not stop: a file where the directory goes does.
    const blocked = tempDir()
    writeFileSync(join(blocked, '.pocket-dock'), 'in the way')
    assert.throws(
      () => initProject(blocked),
      (e: unknown) => e instanceof ProjectError && e.code === 'PROJECT_ERROR' && e.path.endsWith('.pocket-dock'),
    )
    // An instance directory that cannot be made: the create fails before the engine is asked.
    const root = newProject(`ro-${run}`)
    writeFileSync(join(root, '.pocket-dock/instances'), 'in the way')
    const name = `pdr-${run}`
    await assert.rejects(
      createNewContainer({ image: IMAGE, socketPath, labels, projectRoot: root, persist: true, name }),
      ProjectError,
    )
    await assert.rejects(resumeContainer(name, { socketPath }), /no container named/)

    // A config socket that does not answer: an error, no other engine tried.
    const sockRoot = newProject(`sock-${run}`, `socket: ${join(dir, 'nothing.sock')}\n`)
    const saved = process.env.POCKET_DOCK_SOCKET
    delete process.env.POCKET_DOCK_SOCKET
    try {
      await assert.rejects(
        createNewContainer({ image: IMAGE, labels, projectRoot: sockRoot }),
        (e: unknown) => e instanceof SocketConnectionError && /pocket-dock\.yaml/.test(e.message),
      )
    } finally {
      if (saved !== undefined) process.env.POCKET_DOCK_SOCKET = saved
    }
  })

  it('the sync facade: init, find, a journaled container, Session.onOutput, doctor, destroy', async () => {
    const dir = tempDir()
    const root = sync.initProject(dir, { projectName: `sync-${run}` })
    const c = sync.createNewContainer({ image: IMAGE, socketPath, labels, projectRoot: root, persist: true })
    assert.equal(c.dataPath, join(root, '.pocket-dock/instances', c.name))
    assert.equal(c.run('exit 2').exitCode, 2)
    const s = c.session()
    const seen: string[] = []
    s.onOutput((d) => seen.push(d))
    s.send('echo from-send')
    const deadline = Date.now() + 20_000
    while (!seen.join('').includes('from-send') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    assert.match(seen.join(''), /from-send/)
    assert.equal(s.sendAndWait('true').exitCode, 0)
    s.close()
    c.shutdown()
    assert.deepEqual(
      history(c.dataPath!).map((l) => [l.kind, l.exitCode]),
      [
        ['run', 2],
        ['session', 0],
      ],
    )
    assert.deepEqual(sync.doctor({ projectRoot: root, socketPath }), {
      orphanedContainers: [],
      staleInstanceDirs: [],
      healthy: 1,
    })
    sync.destroyContainer(c.name, { socketPath })
    assert.equal(existsSync(c.dataPath!), false)
  })
})
