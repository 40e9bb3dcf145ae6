// run() in blocking mode: output, exit codes, options, UTF-8, concurrency.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ContainerNotRunning, ExecResult, type AsyncContainer } from 'pocket-dock'
import { newContainer } from './helpers'

describe('run (blocking)', () => {
  let c: AsyncContainer
  before(async () => {
    c = await newContainer()
  })
  after(async () => {
    await c.shutdown({ force: true })
  })

  it('returns stdout, exit code 0 and ok for echo hello', async () => {
    const r = await c.run('echo hello')
    assert.ok(r instanceof ExecResult)
    assert.equal(r.stdout, 'hello\n')
    assert.equal(r.stderr, '')
    assert.equal(r.exitCode, 0)
    assert.equal(r.ok, true)
    assert.equal(r.timedOut, false)
    assert.equal(r.truncated, false)
    assert.ok(r.durationMs > 0)
    assert.equal(JSON.parse(JSON.stringify(r)).ok, true)
  })

  it('separates stderr and reports non-zero exit codes', async () => {
    const r = await c.run('echo out; echo err >&2; exit 7')
    assert.deepEqual([r.stdout, r.stderr, r.exitCode, r.ok], ['out\n', 'err\n', 7, false])
  })

  it('runs through sh -c, so pipes, variables and quoting work', async () => {
    const r = await c.run(`x='a b'; echo "$x" | tr a-z A-Z; echo $((6*7))`)
    assert.equal(r.stdout, 'A B\n42\n')
  })

  it('passes env, workdir, user and stdin (string and bytes)', async () => {
    const r = await c.run('echo "$GREETING"; pwd; id -u; cat', {
      env: { GREETING: 'hi there' },
      workdir: '/tmp',
      user: '1000',
      stdin: 'from stdin\n',
    })
    assert.equal(r.stdout, 'hi there\n/tmp\n1000\nfrom stdin\n')
    const bytes = await c.run('wc -c', { stdin: new Uint8Array([1, 2, 3, 4, 5]) })
    assert.equal(bytes.stdout.trim(), '5')
  })

  it('keeps multi-byte UTF-8 intact, even split across frames', async () => {
    // Print each byte of "é€😀" with its own printf, so the engine frames them apart.
    const r = await c.run(
      `for b in '\\303' '\\251' '\\342' '\\202' '\\254' '\\360' '\\237' '\\230' '\\200'; do printf "$b"; sleep 0.01; done`,
    )
    assert.equal(r.stdout, 'é€😀')
  })

  it('maps lang to the interpreter: a missing python3 is a normal failed command', async () => {
    const r = await c.run('print(1)', { lang: 'python' })
    assert.notEqual(r.exitCode, 0) // the busybox test image has no python3
    assert.match(r.stdout + r.stderr, /python3/)
  })

  it('50 parallel runs on one container each get their own output', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => c.run(`echo out-${i}; echo err-${i} >&2; exit ${i % 5}`)),
    )
    results.forEach((r, i) => {
      assert.equal(r.stdout, `out-${i}\n`)
      assert.equal(r.stderr, `err-${i}\n`)
      assert.equal(r.exitCode, i % 5)
    })
  })
})

describe('many containers', () => {
  it('Promise.all over two containers takes about as long as one, not the sum', async () => {
    const [c1, c2] = await Promise.all([newContainer(), newContainer()])
    try {
      const started = performance.now()
      const [a, b] = await Promise.all([c1.run('sleep 2 && echo 1'), c2.run('sleep 2 && echo 2')])
      const wall = performance.now() - started
      assert.equal(a.stdout, '1\n')
      assert.equal(b.stdout, '2\n')
      // Sequential would take a.durationMs + b.durationMs (~4 s).
      assert.ok(wall < 0.75 * (a.durationMs + b.durationMs), `wall ${wall} ms vs ${a.durationMs} + ${b.durationMs} ms`)
    } finally {
      await Promise.all([c1.shutdown({ force: true }), c2.shutdown({ force: true })])
    }
  })
})

describe('lifecycle', () => {
  it('names the container as asked, and by default pd-<8 hex>', async () => {
    const name = `pd-test-${process.pid}-${Date.now()}`
    const named = await newContainer({ name })
    const unnamed = await newContainer()
    try {
      assert.equal(named.name, name)
      assert.equal((await named.run('hostname')).exitCode, 0)
      assert.match(unnamed.name, /^pd-[0-9a-f]{8}$/)
      assert.match(named.containerId, /^[0-9a-f]{64}$/)
      assert.equal(named.persist, false)
    } finally {
      await named.shutdown()
      await unnamed.shutdown()
    }
  })

  it('shutdown is prompt, idempotent, and later runs reject with ContainerNotRunning', async () => {
    const c = await newContainer()
    const started = performance.now()
    await c.shutdown()
    const took = performance.now() - started
    // The engine's stop grace is 10 s; a keep-alive that ignored SIGTERM would use all of it.
    assert.ok(took < 0.2 * 10_000, `shutdown took ${took} ms`)
    await c.shutdown()
    await assert.rejects(c.run('true'), ContainerNotRunning)
  })

  it('await using shuts the container down at the end of the scope', async () => {
    let kept: AsyncContainer | undefined
    {
      await using c = await newContainer()
      kept = c
      assert.equal((await c.run('echo in scope')).stdout, 'in scope\n')
    }
    await assert.rejects(kept!.run('true'), ContainerNotRunning)
  })
})
