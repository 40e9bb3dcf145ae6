// No process outlives its command's kill: every command runs under the
// runner (a subreaper), so processes that start a new session, clear their
// environment or double-fork are still found. Where the runner cannot be
// placed, the marker kill is the fallback, and info() says which is in use.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { destroyContainer, resumeContainer, type AsyncContainer } from 'pocket-dock'
import * as sync from 'pocket-dock/sync'
import { native, newContainer, running, socketPath, testOptions } from './helpers'

/** Polls until `needle` runs in `c` (a detached command starts asynchronously). */
async function started(c: AsyncContainer, needle: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await running(c, needle)) return
    await new Promise((r) => setTimeout(r, 50))
  }
  assert.fail(`${needle} never started`)
}

describe('the subreaper kill', () => {
  let c: AsyncContainer
  before(async () => {
    c = await newContainer()
  })
  after(async () => {
    await c.shutdown({ force: true })
  })

  it('is what a new container uses', async () => {
    assert.equal((await c.info()).killMode, 'subreaper')
  })

  it('a timed-out command that left a new session with a cleared environment leaves nothing, and returns on time', async () => {
    const t0 = performance.now()
    const r = await c.run('setsid env -i /bin/sleep 103 & echo start; sleep 100', { timeout: 1 })
    const took = performance.now() - t0
    assert.equal(r.timedOut, true)
    assert.equal(r.stdout, 'start\n')
    // The orphan held stdout open: the run took ~5 s for a 1 s timeout.
    assert.ok(took < 3000, `returned after ${Math.round(took)} ms for a 1 s timeout`)
    const ps = await c.run('ps -o pid,args')
    assert.doesNotMatch(ps.stdout, /sleep 103/)
  })

  it('what a command leaves behind stays in its tree after it exits: reboot() and a later timeout still end it', async () => {
    // The command exits at once; its leftovers outlive it by design (a daemon).
    assert.equal((await c.run('sleep 1001 >/dev/null 2>&1 &')).exitCode, 0)
    await started(c, 'sleep 1001')
    await c.reboot()
    assert.equal(await running(c, 'sleep 1001'), false, 'a leftover survived reboot()')
    // A leftover that keeps the output open keeps the run going until its
    // timeout, which must still reach it although its command has exited.
    const t0 = performance.now()
    await c.run('setsid env -i /bin/sleep 1002 &', { timeout: 1 })
    await c.reboot()
    assert.equal(await running(c, 'sleep 1002'), false, 'a leftover survived its timeout and reboot()')
    assert.ok(performance.now() - t0 < 10_000)
  })

  it('a command running as the same user cannot disguise its runner through /proc/$PPID/mem', async () => {
    // Overwrites the runner's `exec` on its command line, so a killer that
    // reads command lines would no longer see it.
    const hide = `R=$PPID; a=$(cut -d' ' -f48 /proc/$R/stat)
printf xxxx | dd of=/proc/$R/mem bs=1 seek=$((a+21)) conv=notrunc 2>/dev/null
exec env -i sleep 1003`
    const r = await c.run(hide, { timeout: 1, user: '1000' })
    assert.equal(r.timedOut, true)
    assert.equal(await running(c, 'sleep 1003'), false, 'the disguised command survived its timeout')
  })

  it('a double-forked daemon dies with its timed-out command', async () => {
    const r = await c.run("(setsid sh -c 'sleep 300' &) ; sleep 100", { timeout: 1 })
    assert.equal(r.timedOut, true)
    assert.equal(await running(c, 'sleep 300'), false, 'the daemon survived')
  })

  it('a loop that keeps forking escaped children cannot outrun the kill', async () => {
    // Throttled so it stays under the pids limit (at the limit no killer exec could start at all).
    const r = await c.run('while :; do setsid env -i /bin/sleep 1000 & usleep 3000; done', { timeout: 1 })
    assert.equal(r.timedOut, true)
    assert.equal(await running(c, 'sleep 1000'), false, 'children of the fork loop survived')
  })

  it('a command run as another user is killed with its escaped children', async () => {
    const r = await c.run('setsid env -i /bin/sleep 108 & sleep 100', { timeout: 1, user: '1000' })
    assert.equal(r.timedOut, true)
    assert.equal(await running(c, 'sleep 108'), false, 'the escaped child survived')
  })

  it('kill() of a detached process ends what it started in a new session', async () => {
    const p = await c.run('setsid env -i /bin/sleep 104 & sleep 101', { detach: true })
    await started(c, 'sleep 104')
    await p.kill()
    const r = await p.wait({ timeout: 5 })
    assert.equal(r.exitCode, 143)
    assert.equal(await running(c, 'sleep 104'), false, 'the escaped child survived kill()')
  })

  it('reboot() of an ephemeral container ends what commands started in new sessions', async () => {
    await c.run('setsid env -i /bin/sleep 105 & sleep 102', { detach: true })
    await started(c, 'sleep 105')
    await c.reboot()
    assert.equal(await running(c, 'sleep 105'), false, 'the escaped child survived reboot()')
    assert.equal(await running(c, 'sleep 102'), false)
  })

  it('killLeftovers ends what a command left running when it exits; by default it keeps running', async () => {
    const r = await c.run('sleep 106 & echo started', { killLeftovers: true })
    assert.equal(r.exitCode, 0)
    assert.equal(r.stdout, 'started\n')
    assert.equal(await running(c, 'sleep 106'), false, 'killLeftovers left the background child')
    const kept = await c.run('sleep 107 >/dev/null 2>&1 & echo started')
    assert.equal(kept.exitCode, 0)
    assert.equal(await running(c, 'sleep 107'), true, 'a background daemon should outlive its command by default')
    const detached = await c.run('setsid sleep 109 & echo started', { detach: true, killLeftovers: true })
    assert.equal((await detached.wait({ timeout: 5 })).exitCode, 0)
    assert.equal(await running(c, 'sleep 109'), false, 'killLeftovers of a detached process')
  })

  it('exit codes, stdin, env, workdir and user pass through unchanged', async () => {
    assert.equal((await c.run('exit 3')).exitCode, 3)
    assert.equal((await c.run('kill -TERM $$')).exitCode, 143)
    assert.equal((await c.run('nosuchcommand')).exitCode, 127)
    // A missing interpreter: what a shell says, on both engines.
    const missing = await c.run('print(1)', { lang: 'python' })
    assert.equal(missing.exitCode, 127)
    assert.match(missing.stderr, /python3: not found/)
    const r = await c.run('id -u; echo "$A"; pwd; cat', {
      user: '1000',
      env: { A: 'b' },
      workdir: '/tmp',
      stdin: 'in',
    })
    assert.equal(r.stdout, '1000\nb\n/tmp\nin')
    // `yes` must die of SIGPIPE quietly, as in a shell (the runner leaves signal dispositions alone).
    const piped = await c.run('yes | head -n 1')
    assert.deepEqual([piped.exitCode, piped.stdout, piped.stderr], [0, 'y\n', ''])
  })
})

describe('the runner across resume and fresh reboots', () => {
  it('a resumed container gets the current runner again, and so does a fresh reboot', async () => {
    const c = await newContainer({ persist: true })
    try {
      // An older or broken runner left in the container is replaced on resume.
      await c.writeFile('/.pocket-dock/runner', '#!/bin/sh\nexit 99\n')
      const resumed = await resumeContainer(c.name, { socketPath })
      assert.equal((await resumed.info()).killMode, 'subreaper')
      assert.equal((await resumed.run('echo ok')).stdout, 'ok\n')
      const r = await resumed.run('setsid env -i /bin/sleep 113 & sleep 100', { timeout: 1 })
      assert.equal(r.timedOut, true)
      assert.equal(await running(resumed, 'sleep 113'), false, 'the escaped child survived')
      await resumed.reboot({ fresh: true })
      assert.equal((await resumed.info()).killMode, 'subreaper')
      assert.equal((await resumed.run('echo ok')).stdout, 'ok\n')
    } finally {
      await destroyContainer(c.name, { socketPath })
    }
  })
})

describe('the marker fallback', () => {
  const fallback = async (c: AsyncContainer) => {
    const r = await c.run('echo started; sleep 30 & sleep 31; wait', { timeout: 1 })
    assert.equal(r.timedOut, true)
    assert.equal(r.stdout, 'started\n')
    assert.equal(await running(c, 'sleep 30'), false, 'the background child survived')
    assert.equal(await running(c, 'sleep 31'), false, 'the command survived')
  }

  it('a read-only root file system still kills commands, and info() says how', async () => {
    const c = await newContainer({ readOnly: true })
    try {
      assert.notEqual((await c.run('touch /x')).exitCode, 0, 'the root file system is writable')
      assert.equal((await c.run('touch /tmp/x /home/sandbox/x')).exitCode, 0)
      // Docker refuses to write into a read-only root; Podman places the runner before it is mounted read-only.
      const engine = await native.internal.engineInfo(socketPath)
      assert.equal((await c.info()).killMode, engine.kind === 'docker' ? 'marker' : 'subreaper')
      await fallback(c)
    } finally {
      await c.shutdown({ force: true })
    }
  })

  it('without a runner binary, commands run and are killed as before', async () => {
    const saved = process.env.POCKET_DOCK_RUNNER
    process.env.POCKET_DOCK_RUNNER = '/nonexistent/pocket-dock-runner'
    let c: AsyncContainer
    try {
      c = await newContainer()
    } finally {
      if (saved === undefined) delete process.env.POCKET_DOCK_RUNNER
      else process.env.POCKET_DOCK_RUNNER = saved
    }
    try {
      assert.equal((await c.info()).killMode, 'marker')
      assert.equal((await c.run('exit 3')).exitCode, 3)
      await fallback(c)
      // The fallback ends leftovers too, where its marker can find them.
      await c.run('sleep 110 & echo started', { killLeftovers: true })
      assert.equal(await running(c, 'sleep 110'), false, 'killLeftovers left the background child')
    } finally {
      await c.shutdown({ force: true })
    }
  })
})

describe('the subreaper kill through pocket-dock/sync', () => {
  it('killLeftovers and timeouts end every process', () => {
    const c = sync.createNewContainer(testOptions())
    try {
      assert.equal(c.info().killMode, 'subreaper')
      const r = c.run('setsid env -i /bin/sleep 111 & echo start; sleep 100', { timeout: 1 })
      assert.equal(r.timedOut, true)
      c.run('sleep 112 & echo started', { killLeftovers: true })
      const ps = c.run('ps -o args').stdout
      assert.doesNotMatch(ps, /sleep 11[12]/)
    } finally {
      c.shutdown({ force: true })
    }
  })
})
