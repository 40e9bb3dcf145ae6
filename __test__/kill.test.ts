// Timeouts, aborts and the output cap: the command is killed inside the
// container with its children, partial output is kept, nothing hangs.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { AbortError, type AsyncContainer } from 'pocket-dock'
import { newContainer, running } from './helpers'

describe('killing commands', () => {
  let c: AsyncContainer
  before(async () => {
    c = await newContainer()
  })
  after(async () => {
    await c.shutdown({ force: true })
  })

  it('a timed-out command returns its partial output and is gone, children included', async () => {
    const started = performance.now()
    const r = await c.run('echo started; sleep 30 & sleep 31; wait', { timeout: 1 })
    const took = performance.now() - started
    assert.equal(r.timedOut, true)
    assert.equal(r.ok, false)
    assert.equal(r.exitCode, -1)
    assert.match(r.stdout, /started/)
    assert.ok(took < 2.5 * 1000, `returned after ${took} ms for a 1 s timeout`)
    assert.equal(await running(c, 'sleep 30'), false, 'the background child survived')
    assert.equal(await running(c, 'sleep 31'), false, 'the command survived')
  })

  it('the container default timeout applies when run() gives none', async () => {
    const short = await newContainer({ timeout: 1 })
    try {
      const r = await short.run('echo started; sleep 30')
      assert.equal(r.timedOut, true)
      assert.equal(r.stdout, 'started\n')
    } finally {
      await short.shutdown({ force: true })
    }
  })

  it('an aborted signal kills the command and rejects with AbortError carrying the partial output', async () => {
    const ac = new AbortController()
    setTimeout(() => ac.abort(new Error('user gave up')), 500)
    const err = await c.run('echo started; sleep 30', { signal: ac.signal }).then(
      () => assert.fail('should reject'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof AbortError)
    assert.equal(err.name, 'AbortError')
    assert.equal(err.code, 'ABORT_ERR')
    assert.equal((err.cause as Error).message, 'user gave up')
    assert.equal(err.result?.stdout, 'started\n')
    assert.equal(await running(c, 'sleep 30'), false)
  })

  it('an already-aborted signal rejects before anything runs', async () => {
    await assert.rejects(c.run('touch /tmp/ran', { signal: AbortSignal.abort() }), AbortError)
    assert.equal((await c.run('test -e /tmp/ran')).exitCode, 1)
  })

  it('maxOutput caps what is kept, marks truncated, and never hangs', async () => {
    const r = await c.run('head -c 5000000 /dev/zero | tr "\\0" a', { maxOutput: 1024 })
    assert.equal(r.truncated, true)
    assert.equal(r.exitCode, 0)
    assert.ok(r.stdout.length <= 1024)
    assert.equal(r.stdout, 'a'.repeat(1024))
  })

  it('the default cap is 10 MiB', async () => {
    const r = await c.run('head -c 11000000 /dev/zero | tr "\\0" b')
    assert.equal(r.truncated, true)
    assert.equal(r.stdout.length, 10 * 1024 * 1024)
  })
})
