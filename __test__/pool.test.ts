// Warm pools: createPool keeps started containers ready, acquire() hands one
// out at once and the pool refills; close() removes what it holds; pooled
// containers obey the reaper; bad options start nothing.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createNewContainer, createPool, ImageNotFound, PoolClosed, type PoolOptions } from 'pocket-dock'
import * as sync from 'pocket-dock/sync'
import { engineCli, firstLine, IMAGE, socketPath, testOptions } from './helpers'

/** Options for a pool whose containers carry a label of their own, and that label's value. */
function poolOptions(extra: Partial<PoolOptions> = {}): [PoolOptions, string] {
  const tag = randomBytes(4).toString('hex')
  const opts = testOptions({ labels: { 'pd-pool': tag } })
  return [{ size: 2, ...opts, ...extra } as PoolOptions, tag]
}

/** The names of the containers (running or not) that carry pool label `tag`. */
async function labelled(tag: string): Promise<string[]> {
  const out = await engineCli(['ps', '-a', '--filter', `label=pd-pool=${tag}`, '--format', '{{.Names}}'])
  return out.split('\n').filter(Boolean).sort()
}

async function until(what: string, ok: () => boolean | Promise<boolean>, seconds = 60) {
  const end = Date.now() + seconds * 1000
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`${what}: not within ${seconds} s`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('createPool', () => {
  it('hands out warm containers at once, refills, and close() removes only what it holds', async () => {
    const [opts, tag] = poolOptions()
    const pool = createPool(opts)
    assert.equal(pool.size, 2)
    await until('the pool fills', () => pool.available === 2)

    // The same creation, outside the pool, as the yardstick.
    const t0 = performance.now()
    await using direct = await createNewContainer(testOptions())
    const createMs = performance.now() - t0
    assert.equal((await direct.run('echo direct')).stdout, 'direct\n')

    const t1 = performance.now()
    const a = await pool.acquire()
    const acquireMs = performance.now() - t1
    assert.ok(acquireMs < createMs / 4, `acquire took ${acquireMs.toFixed(1)} ms, a creation ${createMs.toFixed(0)} ms`)
    const b = await pool.acquire()
    assert.notEqual(a.name, b.name)
    for (const c of [a, b]) {
      assert.equal((await c.run('echo pooled')).stdout, 'pooled\n')
      assert.equal((await c.info()).status, 'running')
    }

    // Two handed out: two more are made in their place.
    await until('the pool refills', () => pool.available === 2)
    assert.equal((await labelled(tag)).length, 4)

    await pool.close()
    await pool.close()
    await assert.rejects(pool.acquire(), PoolClosed)
    assert.equal(pool.available, 0)
    // The warm two are gone; the two handed out are the caller's and still run.
    assert.deepEqual(await labelled(tag), [a.name, b.name].sort())
    assert.equal((await a.run('echo still')).stdout, 'still\n')
    await a.shutdown()
    await b.shutdown()
    assert.deepEqual(await labelled(tag), [])
  })

  it('acquire() waits for a container when none is warm yet', async () => {
    const [opts, tag] = poolOptions({ size: 1 })
    {
      await using pool = createPool(opts)
      const [a, b] = await Promise.all([pool.acquire(), pool.acquire()])
      assert.notEqual(a.name, b.name)
      await a.shutdown()
      await b.shutdown()
    }
    // `await using` closed it: nothing of the pool is left.
    assert.deepEqual(await labelled(tag), [])
  })

  it('a pool that cannot create reports why instead of hanging, and leaves nothing', async () => {
    const [opts, tag] = poolOptions({ image: `pocket-dock-test/no-such-image:${randomBytes(4).toString('hex')}` })
    const pool = createPool(opts)
    await assert.rejects(pool.acquire(), ImageNotFound)
    // Asked again while the pool backs off: the same error, at once.
    await assert.rejects(pool.acquire(), ImageNotFound)
    await pool.close()
    assert.deepEqual(await labelled(tag), [])
  })

  it('bad options throw before anything is created', async () => {
    const [opts, tag] = poolOptions()
    const bad: [Record<string, unknown>, ErrorConstructor][] = [
      [{ size: 0 }, RangeError],
      [{ size: 101 }, RangeError],
      [{ size: 1.5 }, TypeError],
      [{ size: '2' }, TypeError],
      [{ name: 'fixed' }, TypeError],
      [{ persist: true }, TypeError],
      [{ ports: { 8080: 80 } }, TypeError],
      [{ memLimit: 'lots' }, TypeError],
      [{ cpuPercent: 101 }, RangeError],
      [{ profile: 'no-such-profile' }, RangeError],
    ]
    for (const [extra, kind] of bad) {
      assert.throws(() => createPool({ ...opts, ...extra } as PoolOptions), kind, JSON.stringify(extra))
      assert.throws(() => sync.createPool({ ...opts, ...extra } as PoolOptions), kind, JSON.stringify(extra))
    }
    assert.throws(() => createPool(null as never), TypeError)
    await new Promise((r) => setTimeout(r, 1000))
    assert.deepEqual(await labelled(tag), [])
  })

  it('pooled containers, handed out or warm, die with a SIGKILLed owner', async () => {
    const tag = randomBytes(4).toString('hex')
    const child = spawn(
      process.execPath,
      [join(__dirname, 'fixtures', 'hold-pool.mjs'), socketPath ?? '', IMAGE, tag],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    await firstLine(child, 'filling its pool')
    assert.equal((await labelled(tag)).length, 3)
    child.kill('SIGKILL')
    await until('pooled containers end with their owner', async () => (await labelled(tag)).length === 0, 20)
  })

  it('works in the sync facade', () => {
    const [opts] = poolOptions({ size: 1 })
    using pool = sync.createPool(opts)
    using c = pool.acquire()
    assert.equal(c.run('echo sync').stdout, 'sync\n')
    pool.close()
    assert.throws(() => pool.acquire(), PoolClosed)
  })
})
