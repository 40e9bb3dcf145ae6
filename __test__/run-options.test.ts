// What code-running backends need from run(): argv commands with no shell,
// byte-exact output (`encoding: 'buffer'`), streamed and piped stdin, a
// pseudo-terminal, waiting for a port or for output, stricter sandboxes and
// OOM reporting. On the engine under test (POCKET_DOCK_SOCKET).
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { AbortError, StdinClosed, TimeoutError, type AsyncContainer } from 'pocket-dock'
import * as sync from 'pocket-dock/sync'
import { engineCli, newContainer } from './helpers'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A label on the containers bad input must not leave behind (other workers' containers aside). */
const BAD = { 'pocket-dock-test-bad-run-options': '1' }

/** The containers on the engine carrying the {@link BAD} label. */
async function badContainers(): Promise<string[]> {
  const out = await engineCli([
    'ps',
    '-a',
    '--filter',
    'label=pocket-dock-test-bad-run-options',
    '--format',
    '{{.Names}}',
  ])
  return out.split('\n').filter(Boolean)
}

describe('run options', () => {
  let c: AsyncContainer
  before(async () => {
    c = await newContainer()
  })
  after(async () => {
    await c.shutdown({ force: true })
  })

  describe('argv', () => {
    const tricky = ['a;b', '$(id)', '`id`', "it's", '"q"', 'two words', 'line1\nline2', '-n', '*', '$HOME', '']

    it('arrives verbatim, with no shell, in every mode', async () => {
      // printf '%s\0' prints each argument as it arrived, NUL-terminated.
      const argv = ['printf', '%s\\0', ...tricky]
      const expected = tricky.map((a) => a + '\0').join('')
      const r = await c.run(argv)
      assert.equal(r.exitCode, 0, r.stderr)
      assert.equal(r.stdout, expected)

      const s = await c.run(argv, { stream: true })
      let streamed = ''
      for await (const chunk of s) streamed += chunk.data
      assert.equal(streamed, expected)

      const p = await c.run(argv, { detach: true })
      assert.equal((await p.wait({ timeout: 30 })).stdout, expected)
    })

    it('runs a leading-dash argument and a program that is not a shell word', async () => {
      const r = await c.run(['echo', '-e', 'x'])
      // busybox echo takes -e as its option: proof the argument reached echo itself.
      assert.equal(r.stdout, 'x\n')
      const missing = await c.run(['no-such-program', 'a'])
      assert.equal(missing.exitCode, 127)
    })

    it('with a lang runs the interpreter on the argv (a script and its arguments)', async () => {
      await c.writeFile('/tmp/args.sh', 'for a in "$@"; do echo "[$a]"; done\n')
      const r = await c.run(['/tmp/args.sh', 'x y', '$(id)'], { lang: 'sh' })
      assert.equal(r.stdout, '[x y]\n[$(id)]\n')
    })

    it('works in the sync facade', async () => {
      const s = sync.resumeContainer(c.name, { socketPath: c.socketPath })
      const r = s.run(['printf', '%s|', 'a b', '$(x)'])
      assert.equal(r.stdout, 'a b|$(x)|')
    })
  })

  describe('tty', () => {
    it('runs in a pseudo-terminal of the given size', async () => {
      const r = await c.run('tty; stty size', { tty: true, cols: 132, rows: 43 })
      assert.equal(r.exitCode, 0, r.stdout)
      const [tty, size] = r.stdout.split(/\r?\n/)
      assert.match(tty, /^\/dev\/pts\/\d+$/)
      assert.equal(size, '43 132')
    })

    it('has a default size, and stderr is the terminal too', async () => {
      const r = await c.run('stty size; echo err >&2', { tty: true })
      assert.equal(r.stdout.replace(/\r/g, ''), '24 80\nerr\n')
      assert.equal(r.stderr, '')
    })

    it('a detached tty process follows resize() and is driven through write()', async () => {
      const p = await c.run('sh', { detach: true, tty: true, stdin: 'pipe', cols: 100, rows: 30 })
      await p.write('stty size\n')
      assert.equal(await p.waitForOutput(/^30 100\r?$/m, { timeout: 30 }), '30 100\r')
      await p.resize(120, 50)
      await p.write('stty size\n')
      assert.match(await p.waitForOutput(/^50 120\r?$/m, { timeout: 30 }), /50 120/)
      await p.write('exit 3\n')
      assert.equal((await p.wait({ timeout: 30 })).exitCode, 3)
    })

    it('resize() of a process without a tty is a TypeError', async () => {
      const p = await c.run('sleep 30', { detach: true })
      await assert.rejects(p.resize(80, 24), TypeError)
      await assert.rejects(p.resize(0, 24), RangeError)
      await p.kill('KILL')
    })
  })

  describe('stdin', () => {
    it('a detached cat driven with write() answers each line; closeStdin() ends it', async () => {
      const p = await c.run('cat', { detach: true, stdin: 'pipe' })
      for (const line of ['one', 'two', 'three']) {
        await p.write(line + '\n')
        await p.waitForOutput(line + '\n', { timeout: 30 })
      }
      assert.equal(p.peek().stdout, 'one\ntwo\nthree\n')
      p.closeStdin()
      const r = await p.wait({ timeout: 30 })
      assert.equal(r.exitCode, 0)
      await assert.rejects(p.write('late\n'), StdinClosed)
    })

    it('a detached sh answers each command', async () => {
      const p = await c.run('sh', { detach: true, stdin: 'pipe' })
      await p.write('echo $((6*7))\n')
      assert.equal(await p.waitForOutput('42', { timeout: 30 }), '42')
      await p.write('echo done-$((1+1))\n')
      assert.equal(await p.waitForOutput(/done-\d/, { timeout: 30 }), 'done-2')
      p.closeStdin()
      assert.equal((await p.wait({ timeout: 30 })).exitCode, 0)
    })

    it('the sync facade writes to a detached process and waits for its output', async () => {
      const s = sync.resumeContainer(c.name, { socketPath: c.socketPath })
      const p = s.run('cat', { detach: true, stdin: 'pipe' })
      p.write('ping\n')
      assert.equal(p.waitForOutput(/p.ng/, { timeout: 30 }), 'ping')
      p.closeStdin()
      assert.equal(p.wait({ timeout: 30 }).exitCode, 0)
      assert.throws(() => p.write('late'), StdinClosed)
      assert.throws(() => p.waitForOutput('never', { timeout: 30 }), TimeoutError)
      const t = s.run('sh', { detach: true, tty: true, stdin: 'pipe', cols: 90, rows: 20 })
      t.resize(91, 21)
      t.write('stty size; exit\n')
      assert.match(t.waitForOutput(/^21 91/m, { timeout: 30 }), /21 91/)
      t.wait({ timeout: 30 })
    })

    it('write() without stdin: pipe rejects with StdinClosed', async () => {
      const p = await c.run('sleep 30', { detach: true })
      await assert.rejects(p.write('x'), StdinClosed)
      await p.kill('KILL')
    })

    it('a Readable and an AsyncIterable reach the command in every mode', async () => {
      const r = await c.run('wc -c', { stdin: Readable.from([Buffer.from('abc'), Buffer.from('defg')]) })
      assert.equal(r.stdout.trim(), '7')
      async function* gen() {
        yield new TextEncoder().encode('hello ')
        yield new TextEncoder().encode('world')
      }
      const s = await c.run('cat', { stream: true, stdin: gen() })
      let out = ''
      for await (const chunk of s) out += chunk.data
      assert.equal(out, 'hello world')
      const p = await c.run('cat', { detach: true, stdin: Readable.from(['x', 'y']) })
      assert.equal((await p.wait({ timeout: 30 })).stdout, 'xy')
    })

    it('512 MiB from a Readable reaches wc -c exactly, with flat memory', async () => {
      const total = 512 << 20
      const chunk = Buffer.alloc(64 << 10, 0x61)
      let sent = 0
      const source = new Readable({
        read() {
          if (sent >= total) return void this.push(null)
          sent += chunk.length
          this.push(chunk)
        },
      })
      global.gc?.()
      const rssBefore = process.memoryUsage().rss
      let peak = rssBefore
      const watch = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
      try {
        const r = await c.run('wc -c', { stdin: source, timeout: 600 })
        assert.equal(r.exitCode, 0, r.stderr)
        assert.equal(Number(r.stdout.trim()), total)
      } finally {
        clearInterval(watch)
      }
      const grew = (peak - rssBefore) / (1 << 20)
      assert.ok(grew < 64, `RSS grew ${grew.toFixed(1)} MiB`)
    })
  })

  describe("encoding: 'buffer'", () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    const bytes = Buffer.concat([all, randomBytes(256)])

    it('256 byte values round-trip through stdout in blocking, stream and detached modes', async () => {
      await c.writeFile('/tmp/bytes.bin', bytes)
      const r = await c.run(['cat', '/tmp/bytes.bin'], { encoding: 'buffer' })
      assert.ok(Buffer.isBuffer(r.stdout) && Buffer.isBuffer(r.stderr))
      assert.deepEqual(r.stdout, bytes)
      assert.equal(r.stderr.length, 0)

      const s = await c.run('cat /tmp/bytes.bin; cat /tmp/bytes.bin >&2', { stream: true, encoding: 'buffer' })
      const out: Buffer[] = []
      const err: Buffer[] = []
      for await (const chunk of s) {
        assert.ok(Buffer.isBuffer(chunk.data))
        ;(chunk.stream === 'stdout' ? out : err).push(chunk.data)
      }
      assert.deepEqual(Buffer.concat(out), bytes)
      assert.deepEqual(Buffer.concat(err), bytes)
      assert.ok(Buffer.isBuffer(s.result.stdout))

      const p = await c.run('cat /tmp/bytes.bin', { detach: true, encoding: 'buffer' })
      const w = await p.wait({ timeout: 30 })
      assert.deepEqual(w.stdout, bytes)
      assert.deepEqual(p.peek().stdout, bytes)
      assert.deepEqual(p.read(), { stdout: bytes, stderr: Buffer.alloc(0) })
      assert.deepEqual(p.peek().stdout, Buffer.alloc(0))
    })

    it('text stays the default, with invalid bytes replaced', async () => {
      const r = await c.run("printf 'a\\377b'")
      assert.equal(r.stdout, 'a\ufffdb')
    })

    it('works in the sync facade', async () => {
      const s = sync.resumeContainer(c.name, { socketPath: c.socketPath })
      const r = s.run("printf '\\000\\377'", { encoding: 'buffer' })
      assert.deepEqual(r.stdout, Buffer.from([0, 255]))
    })
  })

  describe('waitForPort and waitForOutput', () => {
    it('waitForPort resolves once a delayed listener starts', async () => {
      const p = await c.run('sleep 1; echo up; exec httpd -f -p 8081', { detach: true })
      const t0 = Date.now()
      await c.waitForPort(8081, { timeout: 60 })
      assert.ok(Date.now() - t0 >= 500, 'resolved before the listener started')
      assert.equal(p.peek().stdout, 'up\n')
      await p.kill('KILL')
    })

    it('waitForPort rejects with TimeoutError when nothing listens, and the signal aborts it', async () => {
      await assert.rejects(c.waitForPort(8082, { timeout: 0.5 }), TimeoutError)
      const ac = new AbortController()
      const waiting = c.waitForPort(8083, { timeout: 60, signal: ac.signal })
      setTimeout(() => ac.abort(), 300)
      await assert.rejects(waiting, AbortError)
    })

    it('waitForOutput resolves with the first match, and times out or aborts otherwise', async () => {
      const p = await c.run('sleep 0.5; echo "listening on port 4242"; sleep 30', { detach: true })
      assert.equal(await p.waitForOutput(/port (\d+)/, { timeout: 30 }), 'port 4242')
      await assert.rejects(p.waitForOutput('never printed', { timeout: 0.3 }), TimeoutError)
      const ac = new AbortController()
      const waiting = p.waitForOutput('never printed', { signal: ac.signal })
      ac.abort()
      await assert.rejects(waiting, AbortError)
      await p.kill('KILL')
      const ended = await c.run('echo bye', { detach: true })
      await assert.rejects(ended.waitForOutput('hello', { timeout: 30 }), TimeoutError)
    })
  })

  describe('stricter sandboxes', () => {
    it('readOnly: / is read-only, /tmp and the home are writable; tmpfs adds a mount', async () => {
      await using ro = await newContainer({ readOnly: true, tmpfs: { '/scratch': 'size=8m' } })
      const root = await ro.run('touch /x')
      assert.notEqual(root.exitCode, 0)
      assert.match(root.stderr, /Read-only file system/)
      for (const dir of ['/tmp', '/home/sandbox', '/scratch']) {
        const w = await ro.run(`echo ok > ${dir}/f && cat ${dir}/f`)
        assert.equal(w.stdout, 'ok\n', `${dir}: ${w.stderr}`)
      }
      const df = await ro.run("df -k /scratch | tail -1 | awk '{print $2}'")
      assert.equal(df.stdout.trim(), '8192')
    })

    it("capDrop: ['ALL'] makes chown fail; the default keeps it working", async () => {
      await c.run('touch /tmp/own')
      assert.equal((await c.run('chown 1000 /tmp/own')).exitCode, 0)
      await using dropped = await newContainer({ capDrop: ['ALL'] })
      await dropped.run('touch /tmp/own')
      const r = await dropped.run('chown 1000 /tmp/own')
      assert.notEqual(r.exitCode, 0)
      assert.match(r.stderr, /Operation not permitted/)
    })

    it('capAdd of a harmless capability works; a dangerous one needs allowDangerous', async () => {
      await using added = await newContainer({ capDrop: ['ALL'], capAdd: ['chown'] })
      await added.run('touch /tmp/own')
      assert.equal((await added.run('chown 1000 /tmp/own')).exitCode, 0)
      // Everything else stays dropped.
      assert.notEqual((await added.run('mknod /tmp/null c 1 3')).exitCode, 0)
    })
  })

  describe('oomKilled', () => {
    it('a command killed for memory says so; a plain kill -9 does not', async () => {
      await using small = await newContainer({ memLimit: '32m' })
      const hog = await small.run(`awk 'BEGIN { s = "x"; while (1) s = s s }'`, { timeout: 120 })
      assert.equal(hog.exitCode, 137)
      assert.equal(hog.oomKilled, true)
      const killed = await small.run('kill -9 $$')
      assert.equal(killed.exitCode, 137)
      assert.equal(killed.oomKilled, false)
      assert.equal((await small.run('true')).oomKilled, false)
    })
  })

  describe('bad input, before any engine call', () => {
    it('is a TypeError or RangeError and leaves nothing behind', async () => {
      const cases: [() => Promise<unknown>, ErrorConstructor][] = [
        [() => c.run([]), TypeError],
        [() => c.run(['echo', 1 as unknown as string]), TypeError],
        [() => c.run(null as unknown as string), TypeError],
        [() => c.run('x', { encoding: 'latin1' as 'utf8' }), RangeError],
        [() => c.run('x', { cols: 80 }), TypeError],
        [() => c.run('x', { tty: true, cols: 0 }), RangeError],
        [() => c.run('x', { tty: true, rows: 1.5 }), RangeError],
        [() => c.run('x', { stdin: 'pipe' }), TypeError],
        [() => c.run('x', { stdin: 'pipe', stream: true }), TypeError],
        [() => c.run('x', { stdin: 42 as unknown as string }), TypeError],
        [() => c.waitForPort(0), RangeError],
        [() => c.waitForPort(70000), RangeError],
        [() => c.waitForPort('80' as unknown as number), TypeError],
        [() => newContainer({ capAdd: ['SYS_ADMIN'], labels: BAD }), TypeError],
        [() => newContainer({ capAdd: ['ALL'], labels: BAD }), TypeError],
        [() => newContainer({ capDrop: ['NOT_A_CAP'], labels: BAD }), RangeError],
        [() => newContainer({ tmpfs: { relative: '' }, labels: BAD }), TypeError],
      ]
      for (const [call, type] of cases) await assert.rejects(call(), type, call.toString())
      const s = sync.resumeContainer(c.name, { socketPath: c.socketPath })
      assert.throws(() => s.run([]), TypeError)
      assert.throws(() => s.run('cat', { stdin: Readable.from(['x']) }), TypeError)
      assert.deepEqual(await badContainers(), [])
    })

    it('allowDangerous lets a dangerous capability through', async () => {
      await using c2 = await newContainer({ capAdd: ['SYS_ADMIN'], allowDangerous: true })
      // CAP_SYS_ADMIN is bit 21 of the effective set.
      const eff = (await c2.run("grep CapEff /proc/self/status | awk '{print $2}'")).stdout.trim()
      assert.equal((BigInt('0x' + eff) >> 21n) & 1n, 1n, eff)
    })
  })
})
