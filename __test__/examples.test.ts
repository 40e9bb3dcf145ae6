// Every program in examples/ runs against the real engine under test, with
// the offline test image (IMAGE), and does what its header says.
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { IMAGE, socketPath } from './helpers'

const examples = join(__dirname, '..', 'examples')
const env = { ...process.env, IMAGE, POCKET_DOCK_SOCKET: socketPath ?? '' }

function runExample(file: string, extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(examples, file)], {
    env: { ...env, ...extra },
    encoding: 'utf8',
    timeout: 300_000,
  })
  assert.equal(r.status, 0, `${file} failed:\n${r.stdout}\n${r.stderr}`)
  return r.stdout
}

/** Server-Sent Events of a response, as `{ event, data }` (data parsed from JSON), as they arrive. */
async function* events(res: Response) {
  const decoder = new TextDecoder()
  let buffered = ''
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(part, { stream: true })
    let end
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end)
      buffered = buffered.slice(end + 2)
      const event = /^event: (.*)$/m.exec(block)?.[1]
      const data = /^data: (.*)$/m.exec(block)?.[1]
      yield { event, data: data === undefined ? undefined : JSON.parse(data) }
    }
  }
}

describe('examples', { timeout: 600_000 }, () => {
  it('agent-loop: fails once, reads the failures, passes on the second attempt', () => {
    const out = runExample('agent-loop.mjs')
    assert.match(out, /^attempt 1: 2 failing$/m)
    assert.match(out, /feedback for attempt 2: add 1 2: want 3, got -1/)
    assert.match(out, /^attempt 2: all tests pass$/m)
    assert.match(out, /^solved$/m)
  })

  it('batch: every job in its own sandbox, never more than the limit at once', () => {
    const out = runExample('batch.mjs', { JOBS: '5', LIMIT: '2' })
    for (let i = 1; i <= 5; i++) assert.match(out, new RegExp(`^job ${i}: ${i * i}$`, 'm'))
    const peak = Number(/at most (\d+) sandboxes at once \(limit 2\), 0 failed/.exec(out)?.[1])
    assert.ok(peak >= 1 && peak <= 2, out)
  })

  it('sync-script: the sync facade writes, runs, reads and times out', () => {
    const out = runExample('sync-script.cjs')
    assert.match(out, /^sorted 3 names, exit 0$/m)
    assert.match(out, /^alice, bob, carol$/m)
    assert.match(out, /timedOut=true/)
  })

  describe('http-runner', () => {
    let server: ChildProcess
    let url: string
    let log = ''

    before(async () => {
      server = spawn(process.execPath, [join(examples, 'http-runner.mjs')], {
        env: { ...env, PORT: '0', RUN_TIMEOUT: '3' },
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      server.stdout!.setEncoding('utf8')
      server.stdout!.on('data', (d: string) => (log += d))
      while (!/listening on (\S+)/.test(log)) await once(server.stdout!, 'data')
      url = /listening on (\S+)/.exec(log)![1]
    })

    after(async () => {
      server.kill('SIGTERM')
      if (server.exitCode === null) await once(server, 'exit')
    })

    /** Waits (hang guard: 60 s) until the server's log matches `re`. */
    async function logged(re: RegExp) {
      const until = Date.now() + 60_000
      while (!re.test(log)) {
        assert.ok(Date.now() < until, `server log never matched ${re}:\n${log}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    }

    it('streams stdout and stderr as Server-Sent Events, then the exit', async () => {
      const res = await fetch(url, { method: 'POST', body: 'echo one; echo two >&2; exit 3' })
      assert.equal(res.headers.get('content-type'), 'text/event-stream')
      const got: { event?: string; data: any }[] = []
      for await (const e of events(res)) got.push(e)
      const text = (stream: string) =>
        got
          .filter((e) => e.event === stream)
          .map((e) => e.data)
          .join('')
      assert.equal(text('stdout'), 'one\n')
      assert.equal(text('stderr'), 'two\n')
      assert.deepEqual(got.at(-1), { event: 'exit', data: { exitCode: 3, timedOut: false } })
    })

    it('sends output before the command ends, and a runaway command times out', async () => {
      const res = await fetch(url, { method: 'POST', body: 'echo started; sleep 30' })
      const got: { event?: string; data: any }[] = []
      for await (const e of events(res)) got.push(e)
      assert.deepEqual(got[0], { event: 'stdout', data: 'started\n' })
      assert.equal(got.at(-1)?.event, 'exit')
      assert.equal(got.at(-1)?.data.timedOut, true)
    })

    it("the client's disconnect kills the command inside the container", async () => {
      const client = new AbortController()
      const res = await fetch(url, {
        method: 'POST',
        body: 'echo started; sleep 30; echo never',
        signal: client.signal,
      })
      const started = Date.now()
      const first = await events(res).next()
      assert.deepEqual(first.value, { event: 'stdout', data: 'started\n' })
      client.abort()
      await logged(/client went away; command killed/)
      // Killed, not left to its 3 s timeout.
      assert.ok(Date.now() - started < 30_000)
      assert.doesNotMatch(log, /never/)
    })

    it('runs every request in a sandbox of its own with no network', async () => {
      const res = await fetch(url, {
        method: 'POST',
        body: 'touch /tmp/mine; ls /tmp; ip -o link 2>/dev/null | grep -vc " lo:" || true',
      })
      const got: { event?: string; data: any }[] = []
      for await (const e of events(res)) got.push(e)
      const out = got
        .filter((e) => e.event === 'stdout')
        .map((e) => e.data)
        .join('')
      assert.match(out, /^mine\n0\n$/, 'a fresh /tmp and only the loopback interface')
      assert.equal(got.at(-1)?.data.exitCode, 0)
    })
  })
})
