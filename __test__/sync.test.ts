// pocket-dock/sync: the blocking facade behaves like the
// async API (results, timeouts, caps, typed errors, bad input), works from
// worker_threads in parallel, and interleaves with the async API.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Worker } from 'node:worker_threads'
import * as asyncApi from 'pocket-dock'
import {
  ContainerNotFound,
  ExecResult,
  FileNotFound,
  SessionClosed,
  createNewContainer,
  resumeContainer,
  type StreamChunk,
} from 'pocket-dock/sync'
import { IMAGE, socketPath, testOptions } from './helpers'

const require = createRequire(__filename)

describe('pocket-dock/sync', () => {
  it('the example of the issue works: run, stream, detach, session, dispose', () => {
    let name: string
    {
      using c = createNewContainer(testOptions())
      name = c.name
      const r = c.run('echo hi')
      assert.ok(r instanceof ExecResult)
      assert.equal(r.stdout, 'hi\n')
      assert.ok(r.ok)

      const stream = c.run('for i in 1 2 3; do echo $i; done; echo oops >&2', { stream: true })
      const chunks: StreamChunk[] = []
      for (const chunk of stream) chunks.push(chunk)
      const out = chunks.filter((k) => k.stream === 'stdout').map((k) => k.data)
      assert.equal(out.join(''), '1\n2\n3\n')
      assert.ok(chunks.some((k) => k.stream === 'stderr' && k.data.includes('oops')))
      assert.equal(stream.result.exitCode, 0)

      const p = c.run('sleep 30', { detach: true })
      assert.equal(p.isRunning(), true)
      p.kill()
      assert.equal(p.isRunning(), false)

      const s = c.session()
      s.sendAndWait('cd /tmp')
      assert.equal(s.sendAndWait('pwd').stdout, '/tmp\n')
      s.close()
      assert.throws(() => s.sendAndWait('pwd'), SessionClosed)
    }
    // `using` shut it down: the name is gone.
    assert.throws(() => resumeContainer(name, { socketPath }), ContainerNotFound)
  })

  it('a blocking wait() on a detached process that prints a lot does not deadlock', () => {
    using c = createNewContainer(testOptions())
    // Far more output events than the queue to JS holds, while the JS thread
    // is blocked in wait() and cannot take them.
    const p = c.run('seq 1 2000000', { detach: true })
    const r = p.wait({ timeout: 30 })
    assert.equal(r.timedOut, false)
    assert.equal(r.exitCode, 0)
    assert.ok(r.stdout.endsWith('1999999\n2000000\n'))
    assert.equal(p.bufferOverflow, true)
  })

  it('breaking out of a sync stream kills the command', () => {
    using c = createNewContainer(testOptions())
    const stream = c.run('while :; do echo tick; sleep 0.05; done', { stream: true })
    for (const chunk of stream) {
      assert.equal(chunk.data.trim().split('\n')[0], 'tick')
      break
    }
    assert.notEqual(stream.result.exitCode, 0)
    assert.equal(c.run("ps -o args | grep -c '^sh -c while'").stdout.trim(), '0')
  })

  it('timeouts, maxOutput, typed errors and bad input behave as in the async API', () => {
    using c = createNewContainer(testOptions())
    const slow = c.run('echo before; sleep 10', { timeout: 0.5 })
    assert.equal(slow.timedOut, true)
    assert.equal(slow.stdout, 'before\n')
    assert.ok(slow.durationMs < 5_000)
    const capped = c.run('seq 1 100000', { maxOutput: 10 })
    assert.equal(capped.truncated, true)
    assert.equal(capped.stdout.length, 10)
    assert.throws(() => c.readFile('/no/such/file'), FileNotFound)
    assert.throws(() => c.readFile('relative'), TypeError)
    assert.throws(() => c.run('true', { stream: true, detach: true } as never), TypeError)
    assert.throws(() => c.run('true', { timeout: -1 }), RangeError)
    assert.throws(() => c.run('true', { signal: AbortSignal.timeout(1) } as never), TypeError)
    assert.throws(() => createNewContainer(testOptions({ memLimit: 'lots' })), TypeError)
    assert.throws(() => createNewContainer(testOptions({ cpuPercent: 101 })), RangeError)
    c.writeFile('/tmp/x.txt', 'sync')
    assert.equal(c.readFile('/tmp/x.txt').toString(), 'sync')
    assert.equal(c.info().status, 'running')
  })

  it('two worker_threads workers drive their own containers at the same time', async () => {
    const fixture = join(__dirname, 'fixtures', 'sync-worker.mjs')
    const runWorker = () =>
      new Promise<{ stdout: string; exitCode: number; ms: number }>((resolve, reject) => {
        const w = new Worker(fixture, { workerData: { image: IMAGE, socketPath, cmd: 'sleep 2 && echo done' } })
        w.once('message', resolve)
        w.once('error', reject)
      })
    const started = performance.now()
    const results = await Promise.all([runWorker(), runWorker()])
    const total = performance.now() - started
    for (const r of results) assert.deepEqual([r.stdout, r.exitCode], ['done\n', 0])
    const [a, b] = results.map((r) => r.ms)
    // In parallel, the total is about the slower worker, well under the sum.
    assert.ok(total < 0.75 * (a + b), `total ${total.toFixed(0)} ms vs workers ${a.toFixed(0)} + ${b.toFixed(0)} ms`)
  })

  it('sync and async calls interleave without deadlock', async () => {
    await using ac = await asyncApi.createNewContainer(testOptions())
    using sc = createNewContainer(testOptions())
    const stream = await ac.run('for i in 1 2 3 4 5; do echo $i; sleep 0.2; done', { stream: true })
    const seen: string[] = []
    for await (const chunk of stream) {
      seen.push(chunk.data)
      // A blocking call while the async stream is open, on the same thread.
      if (seen.length === 1) assert.equal(sc.run('echo sync').stdout, 'sync\n')
    }
    assert.equal(seen.join(''), '1\n2\n3\n4\n5\n')
    assert.equal(stream.result.exitCode, 0)
  })

  it('exports the same names as the async module, minus the Async prefix', async () => {
    const names = (m: object) =>
      Object.keys(m)
        .filter((k) => k !== 'default' && k !== '__esModule' && k !== 'module.exports') // Node 23+ adds 'module.exports'
        .map((k) => k.replace(/^Async/, ''))
        .sort()
    assert.deepEqual(names(require('pocket-dock/sync')), names(require('pocket-dock/async')))
    assert.deepEqual(names(await import('pocket-dock/sync')), names(asyncApi))
  })
})
