// Typed errors: bad input rejects before any engine call and leaves nothing
// behind; engine failures map to the classes of lib/errors.ts; the binding
// itself throws plain errors with `code` and fields.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import {
  ContainerError,
  ContainerGone,
  ImageNotFound,
  PocketDockError,
  SocketConnectionError,
  SocketError,
  createNewContainer,
  type CreateOptions,
  type RunOptions,
} from 'pocket-dock'
import { IMAGE, native, newContainer, socketPath, testOptions } from './helpers'

const badCreate: [string, CreateOptions, typeof TypeError | typeof RangeError][] = [
  ['memLimit lots', { memLimit: 'lots' }, TypeError],
  ['port above 65535', { ports: { 70000: 80 } }, RangeError],
  ['container port 0', { ports: { 8080: 0 } }, RangeError],
  ['cpuPercent 0', { cpuPercent: 0 }, RangeError],
  ['cpuPercent 101', { cpuPercent: 101 }, RangeError],
  ['negative timeout', { timeout: -1 }, RangeError],
  ['invalid name', { name: 'no spaces allowed' }, TypeError],
  ['relative workdir', { workdir: 'tmp' }, TypeError],
  ['reserved label', { labels: { 'pocket-dock.managed': 'false' } }, TypeError],
  ['wrong type', { timeout: 'soon' as unknown as number }, TypeError],
]

describe('bad input', () => {
  for (const [what, opts, kind] of badCreate) {
    it(`createNewContainer rejects ${what} with ${kind.name} before contacting the engine`, async () => {
      // A socket that does not exist: reaching the engine would be a SocketConnectionError.
      await assert.rejects(
        createNewContainer({ ...testOptions(opts), socketPath: '/nonexistent/pd.sock' }),
        (e: unknown) => {
          assert.ok(e instanceof kind, `${what}: got ${e}`)
          assert.match((e as unknown as { code: string }).code, /^ERR_/)
          return true
        },
      )
    })
  }

  it('leaves no container behind (the name stays free)', async () => {
    const name = `pd-bad-${process.pid}-${Date.now()}`
    for (const [, opts] of badCreate) {
      await assert.rejects(createNewContainer(testOptions({ ...opts, name: opts.name ?? name })))
    }
    const c = await newContainer({ name })
    await c.shutdown()
  })

  it('run rejects stream+detach, bad lang, bad timeout and bad maxOutput before running', async () => {
    const c = await newContainer()
    try {
      const bad: [RunOptions, typeof TypeError | typeof RangeError][] = [
        [{ stream: true, detach: true }, TypeError],
        [{ lang: 'cobol' as RunOptions['lang'] }, TypeError],
        [{ timeout: 0 }, RangeError],
        [{ maxOutput: -1 }, RangeError],
        [{ workdir: 'relative' }, TypeError],
      ]
      for (const [opts, kind] of bad) {
        await assert.rejects(c.run('touch /tmp/ran', opts), kind, JSON.stringify(opts))
      }
      assert.equal((await c.run('test -e /tmp/ran')).exitCode, 1, 'a rejected command ran anyway')
    } finally {
      await c.shutdown({ force: true })
    }
  })
})

describe('engine failures', () => {
  it('a missing image is ImageNotFound and leaves no container', async () => {
    const name = `pd-noimg-${process.pid}-${Date.now()}`
    await assert.rejects(
      createNewContainer(testOptions({ image: 'pocket-dock-test/no-such-image:1', name })),
      (e: unknown) => {
        assert.ok(e instanceof ImageNotFound && e instanceof PocketDockError)
        assert.equal(e.code, 'IMAGE_NOT_FOUND')
        assert.equal(e.image, 'pocket-dock-test/no-such-image:1')
        return true
      },
    )
    const c = await newContainer({ name })
    await c.shutdown()
  })

  it('a name already in use is a ContainerError', async () => {
    const c = await newContainer()
    try {
      await assert.rejects(
        newContainer({ name: c.name }),
        (e: unknown) => e instanceof ContainerError && e.code === 'CONTAINER_ERROR',
      )
    } finally {
      await c.shutdown({ force: true })
    }
  })

  it('a dead socket is a SocketConnectionError, fast', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-dead-'))
    const path = join(dir, 'dead.sock')
    const server = net.createServer().listen(path)
    await new Promise((r) => server.once('listening', r))
    await new Promise((r) => server.close(r)) // the socket file stays; nothing listens
    try {
      const started = performance.now()
      await assert.rejects(createNewContainer({ image: IMAGE, socketPath: path }), (e: unknown) => {
        assert.ok(e instanceof SocketConnectionError && e instanceof SocketError)
        assert.equal(e.socketPath, path)
        assert.match(e.message, /socketPath|running/)
        return true
      })
      assert.ok(performance.now() - started < 2000)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a container removed behind our back is ContainerGone', async () => {
    const tag = `gone-${process.pid}-${Date.now()}`
    const c = await newContainer({ labels: { 'pocket-dock-test': tag } })
    assert.equal(await native.internal.removeLabelled('pocket-dock-test', tag, socketPath), 1)
    await assert.rejects(c.run('true'), (e: unknown) => {
      assert.ok(e instanceof ContainerGone && e instanceof ContainerError)
      assert.equal(e.containerId, c.containerId)
      return true
    })
    await c.shutdown() // already gone: still fine
  })

  it('a container removed while a command runs is ContainerGone, not a hang', async () => {
    const tag = `gone-mid-${process.pid}-${Date.now()}`
    const c = await newContainer({ labels: { 'pocket-dock-test': tag } })
    // Settled into a value at once, so the rejection is never unhandled.
    const outcome = c.run('echo started; sleep 30', { timeout: 60 }).then(
      (r) => r,
      (e: unknown) => e,
    )
    await new Promise((r) => setTimeout(r, 500))
    const removedAt = performance.now()
    assert.equal(await native.internal.removeLabelled('pocket-dock-test', tag, socketPath), 1)
    const e = await outcome
    assert.ok(e instanceof ContainerGone, `got ${String(e)}`)
    // The 30 s command would still be running: the error came from the removal.
    assert.ok(performance.now() - removedAt < 0.5 * 30_000)
    await assert.rejects(c.info(), ContainerGone)
    await c.shutdown()
  })
})

/** What a script calling the binding directly must see: a plain error, `code` and fields on it, no JSON. */
function assertPlain(err: unknown, code: string, fields: Record<string, unknown> = {}): true {
  assert.ok(err instanceof Error, `not an Error: ${String(err)}`)
  const e = err as Error & Record<string, unknown>
  assert.equal(e.code, code)
  assert.doesNotMatch(e.message, /[{}]/, 'the message carries no JSON')
  assert.ok(e.message.length > 0)
  for (const [k, v] of Object.entries(fields)) assert.deepEqual(e[k], v, k)
  return true
}

describe('the binding called directly', () => {
  const deadSocket = '/nonexistent/pd.sock'
  const missing = `pd-missing-${process.pid}`
  type NativeOpts = Parameters<typeof native.createContainer>[0]

  it('rejects with an Error carrying code and fields (async)', async () => {
    await assert.rejects(native.createContainer({ image: IMAGE, socketPath: deadSocket }), (err) =>
      assertPlain(err, 'SOCKET_CONNECTION_ERROR', { socketPath: deadSocket }),
    )
    await assert.rejects(native.resumeContainer(missing, socketPath), (err) =>
      assertPlain(err, 'CONTAINER_NOT_FOUND', { containerId: missing }),
    )
  })

  it('throws the same from the …Sync functions', () => {
    assert.throws(
      () => native.createContainerSync({ image: IMAGE, socketPath: deadSocket }),
      (err) => assertPlain(err, 'SOCKET_CONNECTION_ERROR', { socketPath: deadSocket }),
    )
    assert.throws(
      () => native.resumeContainerSync(missing, socketPath),
      (err) => assertPlain(err, 'CONTAINER_NOT_FOUND', { containerId: missing }),
    )
  })

  it('bad input is a RangeError/TypeError with its code', async () => {
    await assert.rejects(native.createContainer({ cpuPercent: 0, socketPath: deadSocket }), (err) => {
      assert.ok(err instanceof RangeError)
      return assertPlain(err, 'ERR_OUT_OF_RANGE')
    })
    assert.throws(
      () => native.createContainerSync({ workdir: 'tmp', socketPath: deadSocket }),
      (err) => {
        assert.ok(err instanceof TypeError)
        return assertPlain(err, 'ERR_INVALID_ARG_VALUE')
      },
    )
  })

  it('a missing file is ENOENT with containerId and path, async and sync', async () => {
    const c = await native.createContainer(testOptions() as NativeOpts)
    try {
      await assert.rejects(c.readFile('/no/such/file'), (err) =>
        assertPlain(err, 'ENOENT', { containerId: c.containerId, path: '/no/such/file' }),
      )
      assert.throws(
        () => c.readFileSync('/no/such/file'),
        (err) => assertPlain(err, 'ENOENT', { containerId: c.containerId, path: '/no/such/file' }),
      )
    } finally {
      await c.shutdown(true)
    }
  })
})
