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
import { engineCli, newContainer, testOptions } from './helpers'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Container names on the engine, to prove bad input left nothing behind. */
async function containerNames(): Promise<string[]> {
  return (await engineCli(['ps', '-a', '--format', '{{.Names}}'])).split('\n').filter(Boolean)
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
})
