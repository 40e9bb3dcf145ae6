// Pulls through the public API from real registries: Debian's docker-registry
// on 127.0.0.1:5000 (plain HTTP) and on 127.0.0.1:5001 (htpasswd auth), which
// scripts/test.mjs starts (scripts/start-registry.sh). The images are built
// here, pushed with the engine's own CLI, removed locally, then pulled back.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  AbortError,
  ImageNotFound,
  ImagePullError,
  buildImage,
  createNewContainer,
  pullImage,
  removeImage,
  type ProgressEvent,
} from 'pocket-dock'
import * as sync from 'pocket-dock/sync'
import { IMAGE, engineCli, engineKind, makeDir, socketPath } from './helpers'

const id = randomBytes(3).toString('hex')
const PLAIN = `127.0.0.1:5000/pd-test/multi-${id}:1`
const SECRET = `127.0.0.1:5001/pd-test/secret-${id}:1`
const AUTH = { username: 'pd-user', password: 'pd-pass' }
const label = { 'pocket-dock-test': 'js' }
const forget = (ref: string) => removeImage(ref, { socketPath, force: true }).catch(() => {})

/** Pushes `ref` with the engine's CLI; credentials never land in the user's stored logins. */
async function push(ref: string, auth?: typeof AUTH): Promise<void> {
  if ((await engineKind()) === 'podman') {
    await engineCli([
      'push',
      '--tls-verify=false',
      ...(auth ? ['--creds', `${auth.username}:${auth.password}`] : []),
      ref,
    ])
    return
  }
  const config = mkdtempSync(join(tmpdir(), 'pd-docker-config-'))
  try {
    if (auth)
      await engineCli(
        ['--config', config, 'login', '-u', auth.username, '--password-stdin', ref.split('/')[0]],
        auth.password,
      )
    await engineCli(['--config', config, 'push', ref])
  } finally {
    rmSync(config, { recursive: true, force: true })
  }
}

before(async () => {
  // Three layers over the busybox test image, one holding random bytes and their checksum.
  const context = makeDir({
    Dockerfile: `FROM ${IMAGE}\nRUN echo one > /one\nRUN head -c 300000 /dev/urandom > /rand && sha256sum /rand > /rand.sum\nRUN echo three > /three\n`,
  })
  try {
    await buildImage({ context, tag: PLAIN, socketPath })
  } finally {
    rmSync(context, { recursive: true, force: true })
  }
  await engineCli(['tag', PLAIN, SECRET])
  await push(PLAIN)
  await push(SECRET, AUTH)
  await forget(PLAIN)
  await forget(SECRET)
})
after(async () => {
  await forget(PLAIN)
  await forget(SECRET)
})

describe('pullImage', () => {
  it('pulls a multi-layer image from a plain-HTTP loopback registry, with per-layer progress', async () => {
    await forget(PLAIN)
    const events: ProgressEvent[] = []
    const imageId = await pullImage(PLAIN, { socketPath, onProgress: (e) => events.push(e) })
    assert.match(imageId, /^sha256:[0-9a-f]{64}$/)
    const layers = events.filter((e) => e.kind === 'layer')
    assert.ok(layers.length >= 3, JSON.stringify(events))
    if ((await engineKind()) === 'docker') {
      // Docker reports bytes per layer; Podman only a status per blob.
      assert.ok(
        layers.some((l) => l.kind === 'layer' && l.total !== undefined && l.total > 0),
        JSON.stringify(layers),
      )
    }
    await using c = await createNewContainer({ image: PLAIN, socketPath, labels: label })
    const r = await c.run('sha256sum -c /rand.sum && cat /one /three')
    assert.equal(r.stdout, '/rand: OK\none\nthree\n', r.stderr)
  })

  it("createNewContainer's pull policy: never (default) fails on a missing image, missing pulls it once", async () => {
    await forget(PLAIN)
    await assert.rejects(createNewContainer({ image: PLAIN, socketPath, labels: label }), ImageNotFound)
    await using c = await createNewContainer({ image: PLAIN, pull: 'missing', socketPath, labels: label })
    assert.equal((await c.run('cat /one')).stdout, 'one\n')
    await using again = await createNewContainer({ image: PLAIN, pull: 'always', socketPath, labels: label })
    assert.equal((await again.run('cat /three')).stdout, 'three\n')
    await assert.rejects(createNewContainer({ image: PLAIN, pull: 'sometimes' as never, socketPath }), RangeError)
  })

  it('a registry behind htpasswd: credentials pull; none or wrong ones are an ImagePullError that says so', async () => {
    await assert.rejects(pullImage(SECRET, { socketPath }), (e: Error) => {
      assert.ok(e instanceof ImagePullError, String(e))
      assert.match(e.message, /pass `auth: \{ username, password \}`/)
      assert.doesNotMatch(e.message, /importImages/, 'the registry was reached: no offline hint')
      return true
    })
    await assert.rejects(pullImage(SECRET, { socketPath, auth: { ...AUTH, password: 'wrong' } }), (e: Error) => {
      assert.ok(e instanceof ImagePullError, String(e))
      assert.match(e.message, /refused these credentials/)
      return true
    })
    assert.match(await pullImage(SECRET, { socketPath, auth: AUTH }), /^sha256:/)
  })

  it('a missing tag is ImageNotFound; an unreachable registry an ImagePullError pointing to export/import', async () => {
    await assert.rejects(pullImage(`127.0.0.1:5000/pd-test/multi-${id}:nope`, { socketPath }), ImageNotFound)
    await assert.rejects(pullImage('127.0.0.1:5999/pd-test/none:1', { socketPath }), (e: Error) => {
      assert.ok(e instanceof ImagePullError, String(e))
      assert.equal((e as ImagePullError).image, '127.0.0.1:5999/pd-test/none:1')
      assert.match(e.message, /exportImages\(\)/)
      assert.match(e.message, /importImages\(\)/)
      return true
    })
    if ((await engineKind()) === 'podman') {
      // Podman reaches a loopback registry over plain HTTP only because
      // pocket-dock turns TLS verification off for it; asked to verify, it fails.
      await assert.rejects(pullImage(PLAIN, { socketPath, tlsVerify: true }), (e: Error) => {
        assert.ok(e instanceof ImagePullError, String(e))
        assert.match(e.message, /plain HTTP|tlsVerify/)
        return true
      })
    }
    await assert.rejects(pullImage('Bad Ref', { socketPath }), TypeError)
    await assert.rejects(pullImage(PLAIN, { socketPath, auth: null as never }), TypeError)
    await assert.rejects(pullImage(PLAIN, { socketPath, auth: { password: 'x' } as never }), /username/)
    await assert.rejects(pullImage(PLAIN, { socketPath, auth: { username: 'u', password: 5 } as never }), TypeError)
    const nowhere = '/nonexistent/pocket-dock-test.sock'
    await assert.rejects(pullImage('Bad Ref', { socketPath: nowhere }), TypeError)
    assert.throws(() => sync.pullImage('Bad Ref', { socketPath: nowhere }), TypeError)
  })

  it('an abort rejects with AbortError; the sync facade pulls with live progress', async () => {
    await forget(PLAIN)
    const ac = new AbortController()
    await assert.rejects(
      pullImage(PLAIN, { socketPath, signal: ac.signal, onProgress: () => ac.abort() }),
      (e: Error) => e instanceof AbortError,
    )
    await assert.rejects(pullImage(PLAIN, { socketPath, signal: AbortSignal.abort() }), AbortError)
    await forget(PLAIN)
    let layers = 0
    const imageId = sync.pullImage(PLAIN, { socketPath, onProgress: (e) => e.kind === 'layer' && layers++ })
    assert.match(imageId, /^sha256:/)
    assert.ok(layers > 0)
  })
})

describe('a registry that accepts and never answers', () => {
  const held: Socket[] = []
  const server = createServer((s) => held.push(s))
  let port = 0
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as { port: number }).port
  })
  after(() => {
    for (const s of held) s.destroy()
    server.close()
  })

  it('pullImage gives up with an ImagePullError instead of hanging', { timeout: 180_000 }, async () => {
    const ref = `127.0.0.1:${port}/pd-test/silent:1`
    const t0 = performance.now()
    const err = await pullImage(ref, { socketPath }).then(
      () => assert.fail('pulled from a silent registry'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof ImagePullError, String(err))
    assert.ok(performance.now() - t0 < 150_000, 'a deadline ended it')
  })

  it("createNewContainer's signal aborts its pull", { timeout: 60_000 }, async () => {
    const ac = new AbortController()
    setTimeout(() => ac.abort(new Error('enough')), 1000)
    await assert.rejects(
      createNewContainer({
        image: `127.0.0.1:${port}/pd-test/silent:1`,
        pull: 'always',
        signal: ac.signal,
        socketPath,
        labels: label,
      }),
      (e: Error) => e instanceof AbortError,
    )
    await assert.rejects(createNewContainer({ image: IMAGE, signal: 5 as never, socketPath }), TypeError)
    assert.throws(() => sync.createNewContainer({ image: IMAGE, signal: ac.signal, socketPath }), /async API/)
  })
})
