// Input the engine cannot take gets a clear TypeError/RangeError — before any
// engine call where it can be judged here, from the engine's own answer where
// only the engine knows — never a panic and never "the engine stopped
// answering". Nothing runs and nothing is left behind.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createNewContainer, resumeContainer, type AsyncContainer, type CreateOptions } from 'pocket-dock'
import * as sync from 'pocket-dock/sync'
import { newContainer, testOptions } from './helpers'

/** Asserts `e` is a `kind` with an `ERR_` code and a message matching `text`. */
function typed(kind: typeof TypeError | typeof RangeError, text?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof kind, `expected ${kind.name}, got ${String(e)}`)
    assert.match((e as { code?: string }).code ?? '', /^ERR_/, String(e))
    assert.doesNotMatch((e as Error).message, /stopped answering|Panic/)
    if (text) assert.match((e as Error).message, text)
    return true
  }
}

const HUGE = [1e19, 1e20, Number.MAX_VALUE]

describe('timeouts beyond what a deadline holds', () => {
  let c: AsyncContainer
  before(async () => {
    c = await newContainer()
  })
  after(async () => {
    await c.shutdown({ force: true })
  })

  it('are a RangeError in run, sendAndWait, wait and resume, and the container goes on', async () => {
    for (const timeout of HUGE) {
      await assert.rejects(c.run('touch /tmp/ran', { timeout }), typed(RangeError, /Infinity/))
      await assert.rejects(c.run('touch /tmp/ran', { timeout, stream: true }), typed(RangeError))
      await assert.rejects(c.run('touch /tmp/ran', { timeout, detach: true }), typed(RangeError))
    }
    const s = await c.session()
    await assert.rejects(s.sendAndWait('echo hi', { timeout: 1e19 }), typed(RangeError))
    assert.equal((await s.sendAndWait('echo hi')).stdout, 'hi\n')
    await s.close()
    const p = await c.run('sleep 0.2', { detach: true })
    await assert.rejects(p.wait({ timeout: 1e19 }), typed(RangeError))
    assert.equal((await p.wait()).exitCode, 0)
    await assert.rejects(resumeContainer(c.name, { timeout: 1e19 }), typed(RangeError))
    assert.equal((await c.run('test -e /tmp/ran')).exitCode, 1, 'a rejected command ran anyway')
    // Infinity is the way to say "no limit".
    assert.equal((await c.run('echo ok', { timeout: Infinity })).stdout, 'ok\n')
  })

  it('are a RangeError from createNewContainer and the sync facade too', async () => {
    await assert.rejects(
      createNewContainer({ ...testOptions({ timeout: 1e20 }), socketPath: '/nonexistent/pd.sock' }),
      typed(RangeError),
    )
    assert.throws(
      () => sync.createNewContainer({ ...testOptions({ timeout: 1e20 }), socketPath: '/nonexistent/pd.sock' }),
      typed(RangeError),
    )
  })
})

describe('bad create options are refused before the engine', () => {
  const bad: [string, CreateOptions, RegExp][] = [
    ['an image reference with a space', { image: 'bad image' }, /image reference/],
    ['an image reference with upper case', { image: 'Upper/x' }, /lower/],
    ['a volume host path with a colon', { volumes: { '/tmp/a:b': '/data' } }, /`:`/],
    ['NUL in workdir', { workdir: '/a\0b' }, /NUL/],
    ['NUL in a label', { labels: { k: 'v\0' } }, /NUL/],
    ['NUL in project', { project: 'p\0' }, /NUL/],
    ['NUL in an env value', { env: { A: 'x\0y' } }, /NUL/],
  ]
  for (const [what, opts, text] of bad) {
    it(`${what} is a TypeError`, async () => {
      // A socket that does not exist: reaching the engine would be a SocketConnectionError.
      const o = { ...testOptions(opts), socketPath: '/nonexistent/pd.sock' }
      await assert.rejects(createNewContainer(o), typed(TypeError, text))
    })
  }
})

describe('input only the engine can judge', () => {
  let c: AsyncContainer
  before(async () => {
    c = await newContainer()
  })
  after(async () => {
    await c.shutdown({ force: true })
  })

  it('a device that does not exist is a TypeError naming it, and leaves no container', async () => {
    const name = `pd-nodev-${process.pid}-${Date.now()}`
    await assert.rejects(
      newContainer({ name, devices: ['/dev/pocket-dock-no-such-device'] }),
      typed(TypeError, /devices.*pocket-dock-no-such-device/),
    )
    const again = await newContainer({ name })
    await again.shutdown()
  })

  it('a user that does not exist is the same TypeError on both engines, in every mode', async () => {
    await assert.rejects(c.run('touch /tmp/ran', { user: 'nosuchuser' }), typed(TypeError, /`user` "nosuchuser"|user/))
    // Podman refuses at start; Docker reports through the output, so the stream ends with the error.
    const drain = async () => {
      for await (const _ of await c.run('touch /tmp/ran', { user: 'nosuchuser', stream: true })) void _
    }
    await assert.rejects(drain(), typed(TypeError))
    // Detached: Podman refuses at start, Docker when the end is known.
    const detached = async () => (await c.run('touch /tmp/ran', { user: 'nosuchuser', detach: true })).wait()
    await assert.rejects(detached(), typed(TypeError))
    assert.equal((await c.run('test -e /tmp/ran')).exitCode, 1)
  })

  it('a workdir that does not exist is the same TypeError on both engines', async () => {
    await assert.rejects(c.run('pwd', { workdir: '/no/such/dir' }), typed(TypeError, /`workdir` "\/no\/such\/dir"/))
    // A command that fails by itself with 126/127 keeps its result.
    const r = await c.run('echo "unable to find user x"; exit 127')
    assert.equal(r.exitCode, 127)
  })

  it('NUL in a run workdir or user is a TypeError and nothing runs', async () => {
    await assert.rejects(c.run('touch /tmp/ran', { workdir: '/tmp\0x' }), typed(TypeError, /NUL/))
    await assert.rejects(c.run('touch /tmp/ran', { user: 'root\0' }), typed(TypeError, /NUL/))
    await assert.rejects(c.run('touch /tmp/ran', { env: { A: 'x\0y' } }), typed(TypeError, /NUL/))
    assert.equal((await c.run('test -e /tmp/ran')).exitCode, 1)
  })
})

describe('options of the wrong kind', () => {
  let c: AsyncContainer
  before(async () => {
    c = await newContainer()
  })
  after(async () => {
    await c.shutdown({ force: true })
  })

  it('null options and a signal that is not an AbortSignal are clear TypeErrors', async () => {
    const bad = null as unknown as object
    await assert.rejects(c.run('touch /tmp/ran', bad), typed(TypeError, /opts must be an object/))
    await assert.rejects(c.reboot(bad), typed(TypeError, /opts must be an object/))
    await assert.rejects(c.shutdown(bad), typed(TypeError, /opts must be an object/))
    const s = await c.session()
    await assert.rejects(s.sendAndWait('touch /tmp/ran', bad), typed(TypeError, /opts must be an object/))
    await s.close()
    const p = await c.run('sleep 0.1', { detach: true })
    await assert.rejects(p.wait(bad), typed(TypeError, /opts must be an object/))
    await assert.rejects(
      c.run('touch /tmp/ran', { signal: 'x' as unknown as AbortSignal }),
      typed(TypeError, /AbortSignal/),
    )
    assert.equal((await c.run('test -e /tmp/ran')).exitCode, 1)
  })
})

describe('output', () => {
  it('an incomplete character at the very end is U+FFFD, not dropped, in every mode', async () => {
    const c = await newContainer()
    try {
      const cmd = "printf 'a\\342\\202'; printf 'b\\342' >&2"
      const r = await c.run(cmd)
      assert.equal(r.stdout, 'a\uFFFD')
      assert.equal(r.stderr, 'b\uFFFD')
      let streamed = ''
      for await (const chunk of await c.run(cmd, { stream: true }))
        if (chunk.stream === 'stdout') streamed += chunk.data
      assert.equal(streamed, 'a\uFFFD')
      // Cut by the cap, a character is still dropped rather than garbled.
      const capped = await c.run("printf 'ab\\342\\202\\254'", { maxOutput: 3 })
      assert.deepEqual([capped.stdout, capped.truncated], ['ab', true])
    } finally {
      await c.shutdown({ force: true })
    }
  })
})
