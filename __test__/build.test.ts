// Building images through the public API, on the real engine: a context that
// builds FROM the local busybox test image with COPY, RUN, build args, a
// .dockerignore, symlinks and modes; typed progress; a failing step; an abort;
// bad input refused before the engine is called. The profiles' own
// Dockerfiles are built in profiles.test.ts.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import {
  AbortError,
  ImageBuildError,
  buildImage,
  createNewContainer,
  listImages,
  removeImage,
  type ProgressEvent,
} from 'pocket-dock'
import * as sync from 'pocket-dock/sync'
import { IMAGE, engineCli, engineKind, makeDir, newContainer, socketPath } from './helpers'

const tag = (what: string) => `pocket-dock-test/build-${what}-${randomBytes(3).toString('hex')}:1`
const made: string[] = []
const dirs: string[] = []
after(async () => {
  for (const t of made) await removeImage(t, { socketPath, force: true }).catch(() => {})
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
function ctx(files: Parameters<typeof makeDir>[0]): string {
  const d = makeDir(files)
  dirs.push(d)
  return d
}

/** Image ids on the engine (those `filter` keeps), by the engine's own CLI. */
async function imageIds(filter: string[] = []): Promise<Set<string>> {
  return new Set((await engineCli(['images', '-aq', '--no-trunc', ...filter])).split('\n').filter(Boolean))
}
/** Containers on the engine, including Podman's build containers. */
async function allContainers(): Promise<string> {
  return (await engineKind()) === 'podman'
    ? engineCli(['ps', '-a', '--external', '--format', '{{.ID}} {{.Names}} {{.Command}}'])
    : engineCli(['ps', '-a', '--format', '{{.ID}} {{.Names}} {{.Command}}'])
}

describe('buildImage', () => {
  it('builds a context with COPY, RUN and build args, honouring .dockerignore, keeping symlinks and modes', async () => {
    const context = ctx({
      Dockerfile: [
        `FROM ${IMAGE}`,
        'ARG GREETING=unset',
        'COPY . /ctx/',
        'RUN echo "greeting=$GREETING" && echo "$GREETING" > /greeting',
      ].join('\n'),
      '.dockerignore': '# secrets stay home\nsecret.txt\n**/*.log\nbuild\n!build/keep.txt\n',
      'secret.txt': 'do not send',
      'app/run.sh': { content: '#!/bin/sh\necho run\n', mode: 0o755 },
      'app/debug.log': 'noise',
      'app/link': { link: 'run.sh' },
      'build/out.o': 'binary',
      'build/keep.txt': 'kept',
    })
    const t = tag('ok')
    made.push(t)
    const events: ProgressEvent[] = []
    const id = await buildImage({
      context,
      tag: t,
      buildArgs: { GREETING: 'hi there' },
      socketPath,
      onProgress: (e) => events.push(e),
    })
    assert.match(id, /^sha256:[0-9a-f]{64}$/)

    const steps = events.filter((e) => e.kind === 'step')
    assert.ok(steps.length >= 3, JSON.stringify(events))
    assert.deepEqual(
      steps.map((s) => s.step),
      steps.map((_, i) => steps[0].step + i),
      'steps arrive in order',
    )
    assert.ok(
      steps.some((s) => s.text.startsWith('RUN echo')),
      JSON.stringify(steps),
    )
    assert.ok(
      events.some((e) => e.kind === 'log' && e.text.includes('greeting=hi there')),
      'the RUN output arrives as log events before the call resolves',
    )

    await using c = await newContainer({ image: t })
    const r = await c.run(
      'cat /greeting; ls -A /ctx /ctx/app /ctx/build | tr "\\n" " "; echo; stat -c %a /ctx/app/run.sh; readlink /ctx/app/link',
    )
    const [greeting, listing, mode, link] = r.stdout.trim().split('\n')
    assert.equal(greeting, 'hi there')
    assert.ok(!listing.includes('secret.txt') && !listing.includes('debug.log') && !listing.includes('out.o'), listing)
    assert.ok(listing.includes('keep.txt') && listing.includes('run.sh') && listing.includes('Dockerfile'), listing)
    assert.equal(mode, '755')
    assert.equal(link, 'run.sh')

    const listed = await listImages({ socketPath })
    assert.ok(
      listed.some((i) => i.id === id && i.tags.some((x) => x.endsWith(t)) && i.createdAt instanceof Date),
      'listImages shows the built image',
    )
  })

  it('a failing RUN rejects with ImageBuildError carrying the step, its instruction and the log tail', async () => {
    const context = ctx({
      Dockerfile: `FROM ${IMAGE}\nRUN echo one\nRUN echo oops-from-the-step; exit 3\nRUN echo never\n`,
    })
    const t = tag('fail')
    made.push(t)
    const before = await imageIds()
    const err = await buildImage({ context, tag: t, socketPath }).then(
      () => assert.fail('the build should fail'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof ImageBuildError, String(err))
    assert.equal(err.code, 'BUILD_FAILED')
    assert.equal(err.instruction, 'RUN echo oops-from-the-step; exit 3')
    assert.ok(err.step !== null && err.step >= 3, `step ${err.step}`)
    assert.ok(
      err.logTail.some((l) => l.includes('oops-from-the-step')),
      JSON.stringify(err.logTail),
    )
    assert.match(err.message, /at step \d+ \(RUN echo oops/)
    assert.match(err.detail, /3/)
    assert.ok(!(await allContainers()).includes('oops-from-the-step'), 'no build container is left')
    // What the engine keeps of a failed build is its cache of the steps that
    // worked (untagged), as `docker build` leaves it; never the failed step's
    // container. Only untagged images are removed: tests running alongside
    // have tagged images of their own.
    for (const i of await imageIds(['--filter', 'dangling=true']))
      if (!before.has(i)) await removeImage(i, { socketPath, force: true }).catch(() => {})
  })

  it('an abort mid-build rejects with AbortError at once and the engine keeps no build container', async () => {
    const marker = `sleep 4.${randomBytes(2).readUInt16BE() % 1000}`
    const context = ctx({ Dockerfile: `FROM ${IMAGE}\nRUN echo started && ${marker} && echo finished\n` })
    const t = tag('abort')
    made.push(t)
    const ac = new AbortController()
    const t0 = performance.now()
    const err = await buildImage({
      context,
      tag: t,
      socketPath,
      signal: ac.signal,
      onProgress: (e) => {
        if (e.kind === 'log' && e.text.includes('started')) ac.abort(new Error('enough'))
      },
    }).then(
      () => assert.fail('the build should be aborted'),
      (e: unknown) => e,
    )
    const took = performance.now() - t0
    assert.ok(err instanceof AbortError, String(err))
    assert.equal((err.cause as Error).message, 'enough')
    assert.ok(took < 4000, `rejected after ${took.toFixed(0)} ms, before the step could end`)
    // Docker stops the step at once; Podman lets the running step finish and
    // then commits nothing (docs/engines.md). Either way nothing remains.
    let left = ''
    for (let i = 0; i < 40; i++) {
      left = (await allContainers())
        .split('\n')
        .filter((l) => l.includes(marker))
        .join('\n')
      if (!left) break
      await new Promise((r) => setTimeout(r, 250))
    }
    assert.equal(left, '', 'the build container is gone')
    assert.ok(!(await engineCli(['images', '--format', '{{.Repository}}:{{.Tag}}'])).includes(t.split(':')[0]))
  })

  it('a Dockerfile elsewhere in the context, and the sync facade with live progress', () => {
    const context = ctx({ 'docker/Build.dockerfile': `FROM ${IMAGE}\nRUN echo sync-build\n` })
    const t = tag('sync')
    made.push(t)
    const events: ProgressEvent[] = []
    const id = sync.buildImage({
      context,
      dockerfile: 'docker/Build.dockerfile',
      tag: t,
      socketPath,
      onProgress: (e) => events.push(e),
    })
    assert.match(id, /^sha256:/)
    assert.ok(
      events.some((e) => e.kind === 'log' && e.text === 'sync-build'),
      JSON.stringify(events),
    )
    assert.throws(
      () => sync.buildImage({ context, tag: t, socketPath, signal: new AbortController().signal }),
      (e: Error) => e instanceof TypeError && /async API/.test(e.message),
    )
  })

  it('bad input is a TypeError before the engine is called, and builds nothing', async () => {
    // One tag for every bad build: none of them may leave it on the engine.
    const x = tag('x')
    const context = ctx({ Dockerfile: `FROM ${IMAGE}\n`, 'file.txt': 'x' })
    const outside = ctx({ Dockerfile: `FROM ${IMAGE}\n` })
    const bad: [string, Parameters<typeof buildImage>[0], RegExp][] = [
      ['a missing context', { context: join(context, 'nope'), tag: x }, /cannot be read/],
      ['a context that is a file', { context: join(context, 'file.txt'), tag: x }, /not a directory/],
      ['an invalid tag', { context, tag: 'Not A Tag' }, /not a valid image reference/],
      [
        'a Dockerfile outside the context',
        { context, dockerfile: join(outside, 'Dockerfile'), tag: x },
        /outside the build context/,
      ],
      [
        'a Dockerfile that climbs out',
        { context, dockerfile: `../${outside.split('/').pop()}/Dockerfile`, tag: x },
        /outside the build context/,
      ],
      ['a missing Dockerfile', { context, dockerfile: 'Nope', tag: x }, /cannot be read/],
      ['a build arg with =', { context, tag: x, buildArgs: { 'A=B': '1' } }, /build arg/],
    ]
    for (const [what, opts, text] of bad) {
      await assert.rejects(buildImage({ ...opts, socketPath }), (e: Error) => {
        assert.ok(e instanceof TypeError, `${what}: ${e}`)
        assert.match(e.message, text, what)
        return true
      })
    }
    writeFileSync(join(context, '.dockerignore'), 'ok\n[z-a\n')
    await assert.rejects(buildImage({ context, tag: x, socketPath }), /\.dockerignore line 2/)
    await assert.rejects(buildImage({ context, tag: x, socketPath, onProgress: 5 as never }), TypeError)
    // Nothing was built (other tests may be building images of their own meanwhile).
    assert.equal((await engineCli(['images', '-q', x])).trim(), '', 'nothing was built')
  })
})

/** Rejects when `p` takes longer than `ms`: a hang guard, not a speed check. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms)
  })
  return Promise.race([p, guard]).finally(() => clearTimeout(timer))
}

describe('buildImage: contexts and tags that try to break it', () => {
  it('a FIFO as .dockerignore (root or beside the Dockerfile) is a TypeError at once, and two of them block nothing', async () => {
    const a = ctx({ Dockerfile: `FROM ${IMAGE}\n` })
    execFileSync('mkfifo', [join(a, '.dockerignore')])
    const b = ctx({ 'df/Dockerfile': `FROM ${IMAGE}\n` })
    execFileSync('mkfifo', [join(b, 'df/Dockerfile.dockerignore')])
    const [ta, tb] = [tag('fifo'), tag('fifo')]
    made.push(ta, tb)
    const [ea, eb] = await within(
      Promise.all([
        buildImage({ context: a, tag: ta, socketPath }).then(
          () => assert.fail('built'),
          (e: unknown) => e,
        ),
        buildImage({ context: b, dockerfile: 'df/Dockerfile', tag: tb, socketPath }).then(
          () => assert.fail('built'),
          (e: unknown) => e,
        ),
      ]),
      30_000,
      'two builds with a FIFO .dockerignore',
    )
    for (const e of [ea, eb]) {
      assert.ok(e instanceof TypeError, String(e))
      assert.match(e.message, /dockerignore.*not a regular file/)
    }
    // The runtime is still free: an ordinary call answers.
    assert.ok(Array.isArray(await within(listImages({ socketPath }), 30_000, 'listImages after')))
  })

  it('a file whose size changes while it is sent: cut to its size when it grew, an error naming it when it shrank', async () => {
    const context = ctx({ Dockerfile: `FROM ${IMAGE}\nCOPY . /ctx/\n`, 'a-grows': '', 'z-after.txt': 'after' })
    // procfs says 0 bytes and then gives more: a file that grows under the reader.
    execFileSync('mount', ['--bind', '/proc/version', join(context, 'a-grows')])
    const t = tag('grow')
    made.push(t)
    try {
      await within(buildImage({ context, tag: t, socketPath }), 120_000, 'build with a growing file')
    } finally {
      execFileSync('umount', [join(context, 'a-grows')])
    }
    await using c = await newContainer({ image: t })
    const r = await c.run('cat /ctx/z-after.txt; echo; stat -c %s /ctx/a-grows')
    assert.equal(r.stdout, 'after\n0\n', 'the files after the grown one arrive whole')

    const shrinks = ctx({ Dockerfile: `FROM ${IMAGE}\nCOPY . /ctx/\n`, 'a-shrinks': '', 'z-after.txt': 'after' })
    const shrunk = tag('shrink')
    made.push(shrunk)
    // sysfs says 4096 bytes and gives fewer.
    execFileSync('mount', ['--bind', '/sys/kernel/mm/transparent_hugepage/enabled', join(shrinks, 'a-shrinks')])
    try {
      await assert.rejects(
        within(buildImage({ context: shrinks, tag: shrunk, socketPath }), 120_000, 'build with a shrinking file'),
        (e: Error) => {
          assert.ok(e instanceof ImageBuildError, String(e))
          assert.match(e.message, /a-shrinks/)
          assert.match(e.message, /shrank/)
          return true
        },
      )
    } finally {
      execFileSync('umount', [join(shrinks, 'a-shrinks')])
    }
  })

  it('concurrent builds of one tag each resolve with the id of their own image', async () => {
    const t = tag('race')
    made.push(t)
    const n = 4
    const builds = Array.from({ length: n }, (_, i) =>
      buildImage({
        context: ctx({ Dockerfile: `FROM ${IMAGE}\nRUN echo ${i} > /which\n` }),
        tag: t,
        labels: { which: String(i) },
        socketPath,
      }),
    )
    const ids = await Promise.all(builds)
    assert.equal(new Set(ids).size, n, JSON.stringify(ids))
    for (const [i, id] of ids.entries()) {
      const labels = JSON.parse(await engineCli(['image', 'inspect', '--format', '{{json .Config.Labels}}', id]))
      assert.equal(labels.which, String(i), `build ${i} resolved with ${id}`)
    }
    for (const id of ids) await removeImage(id, { socketPath, force: true }).catch(() => {})
  })

  it('a Dockerfile inside a directory .dockerignore excludes is sent all the same', async () => {
    const context = ctx({
      'docker/Dockerfile': `FROM ${IMAGE}\nCOPY . /ctx/\n`,
      'docker/other.txt': 'excluded',
      'kept.txt': 'kept',
      '.dockerignore': 'docker\n',
    })
    const t = tag('exdf')
    made.push(t)
    await buildImage({ context, dockerfile: 'docker/Dockerfile', tag: t, socketPath })
    await using c = await newContainer({ image: t })
    const r = await c.run('cat /ctx/kept.txt; ls /ctx/docker 2>/dev/null')
    assert.ok(r.stdout.startsWith('kept'), r.stdout)
    assert.ok(!r.stdout.includes('other.txt'), r.stdout)
  })

  it('file names that are not UTF-8 are sent byte for byte', async () => {
    const context = ctx({ Dockerfile: `FROM ${IMAGE}\nCOPY names /names/\n` })
    mkdirSync(join(context, 'names'))
    for (const last of [0xfe, 0xff]) {
      const name = Buffer.concat([Buffer.from(join(context, 'names/f')), Buffer.from([last])])
      writeFileSync(name, `byte ${last}`)
    }
    const t = tag('bytes')
    made.push(t)
    await buildImage({ context, tag: t, socketPath })
    await using c = await newContainer({ image: t })
    // busybox `ls` shows an unprintable byte as `?`; the shell's glob gives the name as it is.
    const r = await c.run(
      'cd /names && for f in *; do echo "$f"; done | od -An -tx1 | tr -s " \n" " "; echo; cat /names/*',
    )
    const [names, contents] = r.stdout.split('\n')
    assert.equal(names.trim(), '66 fe 0a 66 ff 0a')
    assert.equal(contents, 'byte 254byte 255')
  })

  it('a symlink that points out of the context through `..` builds on Docker and has a clear error on Podman', async () => {
    const context = ctx({
      Dockerfile: `FROM ${IMAGE}\nCOPY . /ctx/\n`,
      'sub/out': { link: '../../etc/passwd' },
    })
    const t = tag('symout')
    made.push(t)
    const docker = (await engineKind()) === 'docker'
    const built = buildImage({ context, tag: t, socketPath })
    if (docker) {
      await built
      await using c = await newContainer({ image: t })
      assert.equal((await c.run('readlink /ctx/sub/out')).stdout, '../../etc/passwd\n')
      return
    }
    await assert.rejects(built, (e: Error) => {
      assert.ok(e instanceof ImageBuildError, String(e))
      assert.match(e.message, /sub\/out -> \.\.\/\.\.\/etc\/passwd/)
      assert.match(e.message, /\.dockerignore/)
      return true
    })
  })

  it('bad tags, labels and options are TypeErrors before the engine, even when the engine is unreachable', async () => {
    const context = ctx({ Dockerfile: `FROM ${IMAGE}\n` })
    const digest = `x@sha256:${'a'.repeat(64)}`
    const bad: [string, Parameters<typeof buildImage>[0], RegExp][] = [
      ['a digest as the tag', { context, tag: digest }, /digest/],
      ['an empty label key', { context, tag: tag('x'), labels: { '': 'v' } }, /label/],
      ['a reserved label key', { context, tag: tag('x'), labels: { 'pocket-dock.profile': 'v' } }, /reserved/],
      ['a NUL in a label key', { context, tag: tag('x'), labels: { 'a\0b': 'v' } }, /NUL/],
      ['a build arg that is no string', { context, tag: tag('x'), buildArgs: { A: 1 as never } }, /buildArgs/],
      ['labels that are no object', { context, tag: tag('x'), labels: 'a=b' as never }, /labels/],
    ]
    for (const [what, opts, text] of bad) {
      await assert.rejects(buildImage({ ...opts, socketPath }), (e: Error) => {
        assert.ok(e instanceof TypeError, `${what}: ${e}`)
        assert.match(e.message, text, what)
        return true
      })
    }
    const nowhere = '/nonexistent/pocket-dock-test.sock'
    const unreachable: [string, Parameters<typeof buildImage>[0]][] = [
      ['an invalid tag', { context, tag: 'Not A Tag' }],
      ['a missing context', { context: join(context, 'nope'), tag: tag('x') }],
      ['a missing Dockerfile', { context, dockerfile: 'Nope', tag: tag('x') }],
    ]
    for (const [what, opts] of unreachable)
      await assert.rejects(buildImage({ ...opts, socketPath: nowhere }), (e: Error) => {
        assert.ok(e instanceof TypeError, `${what}: ${e}`)
        return true
      })
    await assert.rejects(removeImage('Not A Ref', { socketPath: nowhere }), TypeError)
    assert.throws(() => sync.buildImage({ context, tag: digest, socketPath: nowhere }), TypeError)
  })

  it('output without newlines arrives as bounded log lines', async () => {
    const context = ctx({
      Dockerfile: `FROM ${IMAGE}\nRUN head -c 1000000 /dev/zero | tr "\\0" x; echo; echo tail-line\n`,
    })
    const t = tag('long')
    made.push(t)
    let longest = 0
    let total = 0
    await buildImage({
      context,
      tag: t,
      socketPath,
      onProgress: (e) => {
        if (e.kind === 'log') {
          longest = Math.max(longest, e.text.length)
          if (/^x+$/.test(e.text)) total += e.text.length
        }
      },
    })
    assert.ok(longest <= 16 * 1024, `a log line of ${longest} characters`)
    assert.equal(total, 1_000_000, 'every byte of the long line arrives')
  })
})

describe('removeImage', () => {
  it('force never removes a container: a name in use is untagged, an id in use refused', async () => {
    const t = tag('inuse')
    made.push(t)
    const id = await buildImage({ context: ctx({ Dockerfile: `FROM ${IMAGE}\nLABEL in-use=1\n` }), tag: t, socketPath })
    await using c = await createNewContainer({ image: t, socketPath, labels: { 'pocket-dock-test': 'js' } })
    await removeImage(t, { socketPath, force: true })
    assert.equal((await c.run('echo alive')).stdout, 'alive\n', 'the container still runs')
    assert.ok(!(await engineCli(['images', '--format', '{{.Repository}}:{{.Tag}}'])).includes(t.split(':')[0]))
    await assert.rejects(removeImage(id, { socketPath, force: true }), (e: Error) => {
      assert.ok(e instanceof TypeError, String(e))
      assert.match(e.message, /in use/)
      return true
    })
    assert.equal((await c.run('echo still')).stdout, 'still\n')
  })

  it('an id prefix with several names is a TypeError saying what to do', async () => {
    const t = tag('two')
    const t2 = tag('two')
    made.push(t, t2)
    const id = await buildImage({ context: ctx({ Dockerfile: `FROM ${IMAGE}\nLABEL two=1\n` }), tag: t, socketPath })
    await engineCli(['tag', t, t2])
    await assert.rejects(removeImage(id.slice(7, 19), { socketPath }), (e: Error) => {
      assert.ok(e instanceof TypeError, String(e))
      assert.match(e.message, /force/)
      return true
    })
  })
})
