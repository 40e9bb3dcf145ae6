// Many at once: 20 streams and 20 detached processes over several containers
// run concurrently, each with its own output, without starving the event loop.
import assert from 'node:assert/strict'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { describe, it } from 'node:test'
import { newContainer } from './helpers'

describe('many at once', () => {
  it('20 streams and 20 detached processes across 4 containers', async () => {
    const containers = await Promise.all(Array.from({ length: 4 }, () => newContainer()))
    const delay = monitorEventLoopDelay({ resolution: 10 })
    delay.enable()
    const started = performance.now()
    try {
      const streams = Array.from({ length: 20 }, async (_, i) => {
        const s = await containers[i % 4].run(`for j in 1 2 3 4 5; do echo s${i}-$j; sleep 0.2; done`, { stream: true })
        let out = ''
        for await (const chunk of s) out += chunk.data
        assert.equal(out, [1, 2, 3, 4, 5].map((j) => `s${i}-${j}\n`).join(''))
        assert.equal(s.result.exitCode, 0)
      })
      const processes = Array.from({ length: 20 }, async (_, i) => {
        const p = await containers[i % 4].run(`for j in 1 2 3 4 5; do echo p${i}-$j; sleep 0.2; done; exit ${i % 3}`, {
          detach: true,
        })
        const r = await p.wait({ timeout: 30 })
        assert.equal(r.exitCode, i % 3)
        assert.equal(r.stdout, [1, 2, 3, 4, 5].map((j) => `p${i}-${j}\n`).join(''))
      })
      await Promise.all([...streams, ...processes])
    } finally {
      delay.disable()
      await Promise.all(containers.map((c) => c.shutdown({ force: true })))
    }
    const wall = performance.now() - started
    const worstLag = delay.max / 1e6
    // Each command sleeps 1 s; run one after another they would take 40 s.
    assert.ok(wall < 0.5 * 40_000, `took ${wall} ms`)
    assert.ok(worstLag < 0.15 * wall, `event loop blocked for ${worstLag} ms of ${wall} ms`)
  })
})
