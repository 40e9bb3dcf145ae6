// An engine that goes away mid-operation gives a typed error, never a hang.
// Uses a second Podman API service on its own socket (same storage), stopped
// while a command runs; on Docker this test is skipped.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { SocketError, createNewContainer } from 'pocket-dock'
import { IMAGE, native, socketPath } from './helpers'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('engine loss', async () => {
  const engine = await native.internal.engineInfo(socketPath)
  it(
    'a command whose engine dies rejects with a SocketError instead of hanging',
    { skip: engine.kind !== 'podman' && 'needs Podman (a second API service on its own socket)' },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pd-loss-'))
      const sock = join(dir, 'podman.sock')
      const service = spawn('podman', ['system', 'service', '--time=0', `unix://${sock}`], {
        env: { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? '/etc/containers/pocket-dock.conf' },
        stdio: 'ignore',
      })
      let spawnError: Error | undefined
      service.on('error', (e) => (spawnError = e))
      const tag = `loss-${process.pid}-${Date.now()}`
      try {
        for (let i = 0; i < 100 && !existsSync(sock) && !spawnError; i++) await sleep(100)
        assert.ifError(spawnError)
        await sleep(300)
        const c = await createNewContainer({ image: IMAGE, socketPath: sock, labels: { 'pocket-dock-test': tag } })
        const run = c.run('echo started; sleep 30', { timeout: 60 })
        await sleep(1000)
        const started = performance.now()
        service.kill('SIGKILL')
        await assert.rejects(run, (e: unknown) => {
          assert.ok(e instanceof SocketError, `got ${e}`)
          assert.match((e as Error).message, /engine/)
          return true
        })
        // The 30 s command would still be running: the error came from the lost engine.
        assert.ok(performance.now() - started < 0.5 * 30_000)
        await assert.rejects(c.run('true'), SocketError)
      } finally {
        service.kill('SIGKILL')
        await native.internal.removeLabelled('pocket-dock-test', tag, socketPath)
        rmSync(dir, { recursive: true, force: true })
      }
    },
  )
})
