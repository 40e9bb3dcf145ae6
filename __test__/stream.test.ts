// Streaming mode: chunks arrive as output does, in order; leaving the loop or
// aborting kills the command; memory stays flat however much it prints.
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { after, before, describe, it } from 'node:test'
import { AbortError, AsyncExecStream, type AsyncContainer, type StreamChunk } from 'pocket-dock'
import { newContainer, running } from './helpers'

describe('streaming', () => {
  let c: AsyncContainer
  before(async () => {
    c = await newContainer()
  })
  after(async () => {
    await c.shutdown({ force: true })
  })

  it('yields stdout and stderr as they arrive, then the result', async () => {
    const started = performance.now()
    const stream = await c.run('for i in 1 2 3; do echo $i; sleep 0.5; done; echo err >&2; exit 4', { stream: true })
    assert.ok(stream instanceof AsyncExecStream)
    const chunks: StreamChunk[] = []
    let firstAt = 0
    for await (const chunk of stream) {
      if (!chunks.length) firstAt = performance.now() - started
      chunks.push(chunk)
    }
    const total = performance.now() - started
    const text = (s: string) =>
      chunks
        .filter((c) => c.stream === s)
        .map((c) => c.data)
        .join('')
    assert.equal(text('stdout'), '1\n2\n3\n')
    assert.equal(text('stderr'), 'err\n')
    assert.equal(stream.result.exitCode, 4)
    assert.equal(stream.result.ok, false)
    // The first chunk comes long before the command ends (~1.5 s).
    assert.ok(firstAt < 0.5 * total, `first chunk after ${firstAt} ms of ${total} ms`)
  })

  it('break kills the command inside the container', async () => {
    const stream = await c.run('while :; do echo tick; sleep 0.1; done', { stream: true })
    let n = 0
    for await (const _ of stream) if (++n === 3) break
    assert.equal(stream.result.exitCode, -1)
    assert.equal(await running(c, 'echo tick'), false, 'the loop survived break')
  })

  it('an aborted signal kills the command and the loop throws AbortError', async () => {
    const ac = new AbortController()
    const stream = await c.run('echo first; sleep 30', { stream: true, signal: ac.signal })
    await assert.rejects(async () => {
      for await (const _ of stream) ac.abort()
    }, AbortError)
    assert.equal(await running(c, 'sleep 30'), false)
  })

  it('the timeout applies to streams', async () => {
    const stream = await c.run('echo started; sleep 30', { stream: true, timeout: 1 })
    let out = ''
    for await (const chunk of stream) out += chunk.data
    assert.equal(out, 'started\n')
    assert.equal(stream.result.timedOut, true)
    assert.equal(await running(c, 'sleep 30'), false)
  })

  it('never splits a character between chunks', async () => {
    const stream = await c.run(
      `for b in '\\303' '\\251' '\\342' '\\202' '\\254' '\\360' '\\237' '\\230' '\\200'; do printf "$b"; sleep 0.1; done`,
      { stream: true },
    )
    const chunks: string[] = []
    for await (const chunk of stream) chunks.push(chunk.data)
    assert.equal(chunks.join(''), 'é€😀')
    assert.ok(chunks.length > 1, 'expected several chunks')
    assert.ok(!chunks.some((c) => c.includes('\ufffd')))
  })

  it('toReadable() pipes one stream into a Node Writable', async () => {
    const stream = await c.run('seq 1 1000; echo noise >&2', { stream: true })
    let got = ''
    await pipeline(
      stream.toReadable('stdout'),
      new Writable({
        write(chunk, _enc, done) {
          got += chunk.toString()
          done()
        },
      }),
    )
    assert.equal(got, Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join(''))
    assert.equal(stream.result.exitCode, 0)
  })

  it('256 MiB through for-await: every byte arrives, memory stays flat', async () => {
    const total = 256 * 1024 * 1024
    global.gc?.()
    const before = process.memoryUsage().rss
    let peak = before
    let bytes = 0
    const stream = await c.run(`head -c ${total} /dev/zero | tr '\\0' a`, { stream: true, timeout: 300 })
    for await (const chunk of stream) {
      bytes += chunk.data.length
      const rss = process.memoryUsage().rss
      if (rss > peak) peak = rss
    }
    assert.equal(bytes, total)
    assert.equal(stream.result.exitCode, 0)
    const grew = (peak - before) / 2 ** 20
    assert.ok(grew < 64, `RSS grew ${grew.toFixed(1)} MiB while streaming 256 MiB`)
  })

  it('a consumer that stops pulling pauses the command (backpressure)', async () => {
    // `wc -c` counts what the command managed to write while we did not read.
    const stream = await c.run(
      'i=0; while [ $i -lt 4000 ]; do head -c 65536 /dev/zero; i=$((i+1)); done | tr "\\0" z',
      {
        stream: true,
      },
    )
    const it = stream[Symbol.asyncIterator]()
    await it.next()
    const before = process.memoryUsage().rss
    await new Promise((r) => setTimeout(r, 1500)) // 256 MiB would be ready by now without backpressure
    const grew = (process.memoryUsage().rss - before) / 2 ** 20
    await it.return()
    assert.ok(grew < 32, `RSS grew ${grew.toFixed(1)} MiB while nobody pulled`)
    assert.equal(await running(c, 'head -c 65536'), false)
  })
})
