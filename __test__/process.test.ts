// Detached mode: background processes with a ring buffer, kill of the process
// tree inside the container, and ordered callbacks.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { AsyncProcess, type AsyncContainer } from 'pocket-dock'
import * as sync from 'pocket-dock/sync'
import { newContainer, running, testOptions } from './helpers'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('detached processes', () => {
  let c: AsyncContainer
  before(async () => {
    c = await newContainer()
  })
  after(async () => {
    await c.shutdown({ force: true })
  })

  it('runs in the background; peek keeps, read consumes; kill ends the whole tree', async () => {
    const p = await c.run('echo hello; echo oops >&2; sleep 30 & sleep 31; wait', { detach: true })
    assert.ok(p instanceof AsyncProcess)
    assert.match(p.id, /^[0-9a-f]+$/)
    await sleep(500)
    assert.equal(await p.isRunning(), true)
    assert.deepEqual(p.peek(), { stdout: 'hello\n', stderr: 'oops\n' })
    assert.deepEqual(p.peek(), { stdout: 'hello\n', stderr: 'oops\n' })
    assert.equal(p.bufferSize, 'hello\noops\n'.length)
    assert.deepEqual(p.read(), { stdout: 'hello\n', stderr: 'oops\n' })
    assert.deepEqual(p.read(), { stdout: '', stderr: '' })
    await p.kill()
    assert.equal(await p.isRunning(), false)
    assert.equal(await running(c, 'sleep 30'), false, 'the child survived kill()')
    assert.equal(await running(c, 'sleep 31'), false)
    assert.equal((await p.wait()).exitCode, 143) // SIGTERM
  })

  it('kill(9) and kill("KILL") send that signal', async () => {
    const p = await c.run("trap '' TERM; sleep 30", { detach: true })
    await sleep(200)
    await p.kill('KILL')
    assert.equal((await p.wait({ timeout: 5 })).exitCode, 137)
    await assert.rejects(p.kill(99), RangeError)
  })

  it('kill() with an unknown signal is a RangeError before anything is sent', async () => {
    const p = await c.run('sleep 41', { detach: true })
    const outOfRange = (e: unknown) => e instanceof RangeError && (e as { code?: string }).code === 'ERR_OUT_OF_RANGE'
    for (const bad of ['BOGUS', 'SIGBOGUS', 'SIG', '', 'KILL ', '-9', '9x', '0', '65', 0, 65, 1.5, -9, NaN]) {
      await assert.rejects(p.kill(bad as never), outOfRange, JSON.stringify(bad))
    }
    await assert.rejects(p.kill({} as never), TypeError)
    assert.equal(await p.isRunning(), true)
    await p.kill('sigkill') // a name with or without SIG, in any case
    assert.equal((await p.wait({ timeout: 5 })).exitCode, 137)
    const q = await c.run('trap "echo got-usr1; exit 0" USR1; while :; do sleep 0.1; done', { detach: true })
    await sleep(300)
    await q.kill('Usr1')
    assert.match((await q.wait({ timeout: 5 })).stdout, /got-usr1/)
    const r = await c.run('sleep 42', { detach: true })
    await r.kill(9)
    assert.equal((await r.wait({ timeout: 5 })).exitCode, 137)
  })

  it('a detached process killed by its own timeout reports timedOut from wait()', async () => {
    const p = await c.run('echo before; sleep 43', { detach: true, timeout: 0.5 })
    const r = await p.wait({ timeout: 20 })
    assert.deepEqual([r.timedOut, r.ok, r.exitCode, r.stdout], [true, false, -1, 'before\n'])
    assert.equal(await p.isRunning(), false)
    assert.equal(await running(c, 'sleep 43'), false)
    const done = await (await c.run('exit 4', { detach: true, timeout: 20 })).wait()
    assert.deepEqual([done.timedOut, done.exitCode], [false, 4])
  })

  it('the sync facade: kill() validates the signal; a timeout says timedOut', () => {
    using d = sync.createNewContainer(testOptions())
    const p = d.run('sleep 44', { detach: true, timeout: 0.5 })
    assert.throws(
      () => p.kill('BOGUS'),
      (e: unknown) => e instanceof RangeError && (e as { code?: string }).code === 'ERR_OUT_OF_RANGE',
    )
    const r = p.wait({ timeout: 20 })
    assert.deepEqual([r.timedOut, r.ok, r.exitCode], [true, false, -1])
  })

  it('wait() returns the real exit code and the buffered output', async () => {
    const p = await c.run('echo done; exit 3', { detach: true })
    const r = await p.wait()
    assert.equal(r.exitCode, 3)
    assert.equal(r.stdout, 'done\n')
    assert.equal(await p.isRunning(), false)
  })

  it('wait({ timeout }) on a running process says timedOut and leaves it running', async () => {
    const p = await c.run('sleep 30', { detach: true })
    const r = await p.wait({ timeout: 0.3 })
    assert.equal(r.timedOut, true)
    assert.equal(await p.isRunning(), true)
    await p.kill()
  })

  it('3 MB of output overflows the 1 MiB ring buffer, evicting the oldest', async () => {
    const p = await c.run('i=0; while [ $i -lt 3000 ]; do printf "%07d%01017d\\n" $i 0; i=$((i+1)); done', {
      detach: true,
    })
    assert.equal((await p.wait({ timeout: 60 })).exitCode, 0)
    assert.equal(p.bufferOverflow, true)
    assert.ok(p.bufferSize <= 1024 * 1024)
    const out = p.read().stdout
    assert.ok(out.endsWith(`${'0002999'}${'0'.repeat(1017)}\n`), 'the newest line is kept')
    assert.ok(!out.includes(`0000000${'0'.repeat(1017)}`), 'the oldest line is gone')
  })

  it('callbacks get the output in order and the exit code; a throwing callback does not stop them', async () => {
    const d = await newContainer()
    try {
      const out: string[] = []
      const err: string[] = []
      const warnings: string[] = []
      const onWarning = (w: Error) => warnings.push(w.message)
      process.on('warning', onWarning)
      let thrown = false
      d.onStdout((container, data) => {
        assert.equal(container, d)
        out.push(data)
      })
      d.onStdout(() => {
        if (!thrown) {
          thrown = true
          throw new Error('callback bug')
        }
      })
      d.onStderr((_, data) => err.push(data))
      const exited = new Promise<number>((resolve) => d.onExit((_, code) => resolve(code)))
      await d.run('for i in 1 2 3 4 5; do echo $i; sleep 0.05; done; echo bad >&2; exit 2', { detach: true })
      assert.equal(await exited, 2)
      await sleep(50)
      process.off('warning', onWarning)
      assert.equal(out.join(''), '1\n2\n3\n4\n5\n')
      assert.equal(err.join(''), 'bad\n')
      assert.ok(
        warnings.some((w) => w.includes('callback bug')),
        `warnings: ${warnings}`,
      )
    } finally {
      await d.shutdown({ force: true })
    }
  })

  it('shutting the container down ends its detached processes', async () => {
    const d = await newContainer()
    const p = await d.run('sleep 30', { detach: true })
    await d.shutdown({ force: true })
    const r = await p.wait({ timeout: 5 })
    assert.equal(r.timedOut, false)
    assert.equal(await p.isRunning(), false)
  })
})
