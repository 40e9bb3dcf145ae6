// Building images through the public API, on the real engine: a context that
// builds FROM the local busybox test image with COPY, RUN, build args, a
// .dockerignore, symlinks and modes; typed progress; a failing step; an abort;
// bad input refused before the engine is called. The profiles' own
// Dockerfiles are built in profiles.test.ts.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { AbortError, ImageBuildError, buildImage, listImages, removeImage, type ProgressEvent } from 'pocket-dock'
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

/** Image ids on the engine, by the engine's own CLI. */
async function imageIds(): Promise<Set<string>> {
  return new Set((await engineCli(['images', '-aq', '--no-trunc'])).split('\n').filter(Boolean))
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
    // worked, as `docker build` leaves it; never the failed step's container.
    for (const i of await imageIds())
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
    const context = ctx({ Dockerfile: `FROM ${IMAGE}\n`, 'file.txt': 'x' })
    const outside = ctx({ Dockerfile: `FROM ${IMAGE}\n` })
    const bad: [string, Parameters<typeof buildImage>[0], RegExp][] = [
      ['a missing context', { context: join(context, 'nope'), tag: tag('x') }, /cannot be read/],
      ['a context that is a file', { context: join(context, 'file.txt'), tag: tag('x') }, /not a directory/],
      ['an invalid tag', { context, tag: 'Not A Tag' }, /not a valid image reference/],
      [
        'a Dockerfile outside the context',
        { context, dockerfile: join(outside, 'Dockerfile'), tag: tag('x') },
        /outside the build context/,
      ],
      [
        'a Dockerfile that climbs out',
        { context, dockerfile: `../${outside.split('/').pop()}/Dockerfile`, tag: tag('x') },
        /outside the build context/,
      ],
      ['a missing Dockerfile', { context, dockerfile: 'Nope', tag: tag('x') }, /cannot be read/],
      ['a build arg with =', { context, tag: tag('x'), buildArgs: { 'A=B': '1' } }, /build arg/],
    ]
    const before = await imageIds()
    for (const [what, opts, text] of bad) {
      await assert.rejects(buildImage({ ...opts, socketPath }), (e: Error) => {
        assert.ok(e instanceof TypeError, `${what}: ${e}`)
        assert.match(e.message, text, what)
        return true
      })
    }
    writeFileSync(join(context, '.dockerignore'), 'ok\n[z-a\n')
    await assert.rejects(buildImage({ context, tag: tag('x'), socketPath }), /\.dockerignore line 2/)
    await assert.rejects(buildImage({ context, tag: tag('x'), socketPath, onProgress: 5 as never }), TypeError)
    assert.deepEqual(await imageIds(), before, 'nothing was built')
  })
})
