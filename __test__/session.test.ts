// Sessions: a persistent shell whose commands each get their own output and
// exit code, robust to tricky output, stdin readers and timeouts.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { AsyncSession, SessionClosed, type AsyncContainer } from 'pocket-dock'
import * as sync from 'pocket-dock/sync'
import { newContainer, running, testOptions } from './helpers'

/** A command that prints `n` bytes of `ch`. */
const bytes = (n: number, ch: string) => `head -c ${n} /dev/zero | tr "\\0" ${ch}`

describe('sessions', () => {
  let c: AsyncContainer
  let s: AsyncSession
  before(async () => {
    c = await newContainer()
    s = await c.session()
  })
  after(async () => {
    await c.shutdown({ force: true })
  })

  it('keeps state between commands', async () => {
    assert.ok(s instanceof AsyncSession)
    await s.send('cd /tmp')
    const r = await s.sendAndWait('pwd')
    assert.equal(r.stdout, '/tmp\n')
    assert.equal(r.exitCode, 0)
    await s.sendAndWait('export GREETING="hi there"')
    assert.equal((await s.sendAndWait('echo "$GREETING"')).stdout, 'hi there\n')
  })

  it('returns exact output and exit codes', async () => {
    assert.equal((await s.sendAndWait('printf abc')).stdout, 'abc')
    const r = await s.sendAndWait('echo out; echo err >&2; (exit 7)')
    assert.deepEqual([r.stdout, r.stderr, r.exitCode], ['out\n', 'err\n', 7])
    const multi = await s.sendAndWait('for i in 1 2\ndo\n  echo "line $i"\ndone\necho \'quoted\' "$((1+1))"')
    assert.equal(multi.stdout, 'line 1\nline 2\nquoted 2\n')
    const fake = await s.sendAndWait(`printf '\\036E0000000000000000:0\\036 looks like a sentinel\\n'`)
    assert.match(fake.stdout, /looks like a sentinel/)
    assert.equal((await s.sendAndWait('echo next')).stdout, 'next\n')
  })

  it('a command that reads stdin does not swallow the protocol', async () => {
    const r = await s.sendAndWait('cat; echo after-cat')
    assert.equal(r.stdout, 'after-cat\n')
    assert.equal((await s.sendAndWait('echo still fine')).stdout, 'still fine\n')
  })

  it('huge output is capped, and the session goes on', async () => {
    const r = await s.sendAndWait('head -c 12000000 /dev/zero | tr "\\0" a')
    assert.equal(r.truncated, true)
    assert.equal(r.stdout.length, 10 * 1024 * 1024)
    assert.equal((await s.sendAndWait('echo ok')).stdout, 'ok\n')
  })

  it('a timed-out command is interrupted and the next one works', async () => {
    const r = await s.sendAndWait('echo started; sleep 5', { timeout: 1 })
    assert.equal(r.timedOut, true)
    assert.equal(r.stdout, 'started\n')
    assert.equal(await running(c, 'sleep 5'), false)
    assert.equal((await s.sendAndWait('echo ok')).stdout, 'ok\n')
  })

  it('concurrent sendAndWait calls queue instead of interleaving', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => s.sendAndWait(`sleep 0.0${i}; echo ${i}`)))
    results.forEach((r, i) => assert.equal(r.stdout, `${i}\n`))
  })

  it('read() and onOutput get the output of send()', async () => {
    const seen: string[] = []
    s.onOutput((d) => seen.push(d))
    await s.send('echo via-send')
    for (let i = 0; i < 40 && !seen.join('').includes('via-send'); i++) await new Promise((r) => setTimeout(r, 50))
    assert.match(seen.join(''), /via-send\n/)
  })

  it('lots of unread send() output does not disturb sendAndWait', async () => {
    const t = await c.session() // no onOutput here: the output stays unread
    await t.send('head -c 12000000 /dev/zero | tr "\\0" z; echo')
    await new Promise((r) => setTimeout(r, 1500)) // let it all arrive, unread
    const r = await t.sendAndWait('echo after')
    assert.equal(r.stdout, 'after\n')
    assert.equal(r.truncated, false)
    const unread = t.read()
    assert.ok(unread.length <= 1024 * 1024, `${unread.length} bytes kept`)
    assert.ok(unread.endsWith('zz\n'), JSON.stringify(unread.slice(-10)))
    await t.close()
  })

  it('a shell syntax error is exit code 2 with the message on stderr, and the session goes on', async () => {
    const t = await c.session()
    await t.sendAndWait('cd /tmp && KEPT=yes')
    const bad: [string, RegExp][] = [
      ['fi', /syntax error/],
      ['echo x; {', /syntax error/],
      ['echo "x', /unterminated quoted string/],
      ['echo ${UNSET_VAR?boom}', /boom/],
    ]
    for (const [cmd, message] of bad) {
      const r = await t.sendAndWait(cmd)
      assert.equal(r.exitCode, 2, cmd)
      assert.match(r.stderr, message, cmd)
      assert.equal(t.closed, false, cmd)
    }
    await t.send('fi') // the same through send()
    assert.equal((await t.sendAndWait('echo "$PWD $KEPT"')).stdout, '/tmp yes\n')
    const doc = await t.sendAndWait("cat <<'EOF'\nline $KEPT\nEOF\ncat <<EOF\nline $KEPT\nEOF")
    assert.deepEqual([doc.stdout, doc.exitCode], ['line $KEPT\nline yes\n', 0])
    // `exit` ends the shell, as asked: the session is closed, not resumed.
    await assert.rejects(t.sendAndWait('exit 3'), SessionClosed)
    assert.equal(t.closed, true)
  })

  it('a big send() costs the next sendAndWait neither its framing nor its truncated flag', async () => {
    const t = await c.session() // no onOutput here: the output stays unread
    await t.send(bytes(30_000_000, 'a'))
    const big = await t.sendAndWait(bytes(1 << 20, 'b'), { timeout: 120 })
    assert.deepEqual([big.timedOut, big.truncated, big.exitCode], [false, false, 0])
    assert.ok(big.stdout === 'b'.repeat(1 << 20), `${big.stdout.length} bytes: ${big.stdout.slice(0, 20)}`)
    await t.send(bytes(30_000_000, 'a'))
    const small = await t.sendAndWait('echo small', { timeout: 120 })
    assert.deepEqual([small.stdout, small.truncated], ['small\n', false])
    await t.send(bytes(30_000_000, 'a'))
    const capped = await t.sendAndWait(bytes(12_000_000, 'c'), { timeout: 120 })
    assert.deepEqual([capped.truncated, capped.stdout.length], [true, 10 * 1024 * 1024])
    assert.ok(/^c+$/.test(capped.stdout))
    const unread = t.read()
    assert.ok(unread.length <= 1024 * 1024, `${unread.length} bytes kept`)
    assert.ok(/^a+$/.test(unread), JSON.stringify(unread.slice(0, 20)))
    assert.equal(t.closed, false)
    await t.close()
  })

  it('the sync facade: a syntax error is exit code 2 and the session goes on', () => {
    using d = sync.createNewContainer(testOptions())
    const t = d.session()
    t.sendAndWait('cd /tmp')
    const r = t.sendAndWait('fi')
    assert.deepEqual([r.exitCode, t.closed], [2, false])
    assert.match(r.stderr, /syntax error/)
    assert.equal(t.sendAndWait('pwd').stdout, '/tmp\n')
  })

  it('the sync facade: a big send() costs the next sendAndWait nothing', () => {
    using d = sync.createNewContainer(testOptions())
    const t = d.session()
    t.send(bytes(30_000_000, 'a'))
    const big = t.sendAndWait(`${bytes(1 << 20, 'b')}; echo`, { timeout: 120 })
    assert.deepEqual([big.timedOut, big.truncated, big.stdout.length], [false, false, (1 << 20) + 1])
    assert.ok(/^b+\n$/.test(big.stdout))
  })

  it('close() makes later calls reject with SessionClosed', async () => {
    const t = await c.session()
    await t.close()
    assert.equal(t.closed, true)
    await assert.rejects(t.sendAndWait('echo x'), SessionClosed)
    await assert.rejects(t.send('echo x'), SessionClosed)
    await t.close()
  })

  it('an uninterruptible command closes the session instead of desyncing', async () => {
    const t = await c.session()
    const r = await t.sendAndWait('while :; do :; done', { timeout: 1 })
    assert.equal(r.timedOut, true)
    assert.equal(t.closed, true)
    await assert.rejects(t.sendAndWait('echo x'), SessionClosed)
  })

  it('sessions close when the container shuts down', async () => {
    const d = await newContainer()
    const t = await d.session()
    await d.shutdown({ force: true })
    await assert.rejects(t.sendAndWait('echo x'), SessionClosed)
  })
})
