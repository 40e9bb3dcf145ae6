// Container lifecycle through the public API: limits
// and wiring seen from inside, info(), persistence, resume, snapshot, reboot,
// list/stop/destroy/prune, and the reaper that ties an ephemeral container to
// the process that made it, also when that process is SIGKILLed.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import Docker from 'dockerode'
import {
  ContainerNotFound,
  ContainerNotRunning,
  FileNotFound,
  createNewContainer,
  destroyContainer,
  listContainers,
  prune,
  resumeContainer,
  stopContainer,
  type AsyncContainer,
} from 'pocket-dock'
import { IMAGE, firstLine, native, newContainer, socketPath, testOptions } from './helpers'

const project = `pd-test-${randomBytes(4).toString('hex')}`

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * GETs `url` until it answers (a server in a container takes a moment to
 * listen; until then Docker's port proxy may accept and then hang, hence the
 * per-attempt timeout).
 */
async function fetchText(url: string, withinMs = 10_000): Promise<string> {
  const deadline = Date.now() + withinMs
  for (;;) {
    try {
      return await (await fetch(url, { signal: AbortSignal.timeout(1000) })).text()
    } catch (e) {
      if (Date.now() > deadline) throw e
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

/** Reads the first cgroup file that exists (v2 path, then v1 path). */
async function cgroup(c: AsyncContainer, v2: string, v1: string): Promise<string> {
  const r = await c.run(`cat /sys/fs/cgroup/${v2} 2>/dev/null || cat /sys/fs/cgroup/${v1}`)
  assert.equal(r.exitCode, 0, r.stderr)
  return r.stdout.trim()
}

async function names(): Promise<string[]> {
  return (await listContainers({ socketPath, project })).map((c) => c.name)
}

after(async () => {
  await native.internal.removeLabelled('pocket-dock.project', project, socketPath)
})

describe('limits and wiring, seen from inside the container', () => {
  it('memLimit, cpuPercent, a published port, volumes, a device, env and workdir all take effect', async (t) => {
    const host = mkdtempSync(join(tmpdir(), 'pd-vol-'))
    const readonly = mkdtempSync(join(tmpdir(), 'pd-ro-'))
    writeFileSync(join(readonly, 'given.txt'), 'from the host')
    t.after(() => rmSync(host, { recursive: true, force: true }))
    t.after(() => rmSync(readonly, { recursive: true, force: true }))
    const port = await freePort()
    await using c = await newContainer({
      memLimit: '64m',
      cpuPercent: 50,
      ports: { [port]: 80 },
      volumes: { [host]: '/data', [readonly]: '/given:ro' },
      devices: ['/dev/zero:/dev/pdzero'],
      env: { GREETING: 'hello there' },
      workdir: '/tmp',
    })
    assert.equal(await cgroup(c, 'memory.max', 'memory/memory.limit_in_bytes'), String(64 << 20))
    const cpu = await cgroup(c, 'cpu.max', 'cpu/cpu.cfs_quota_us')
    const period = await cgroup(c, 'cpu.max', 'cpu/cpu.cfs_period_us')
    const [quota, per] = cpu.includes(' ') ? cpu.split(' ').map(Number) : [Number(cpu), Number(period)]
    assert.equal(quota / per, 0.5, `cpu quota ${cpu} / ${period}`)

    assert.equal((await c.run('echo "$GREETING"; pwd')).stdout, 'hello there\n/tmp\n')
    assert.equal((await c.run('echo written > /data/out.txt')).exitCode, 0)
    assert.equal(readFileSync(join(host, 'out.txt'), 'utf8'), 'written\n')
    assert.equal((await c.run('cat /given/given.txt')).stdout, 'from the host')
    assert.notEqual((await c.run('echo no > /given/x')).exitCode, 0, 'a :ro volume must refuse writes')
    assert.equal((await c.run('head -c 3 /dev/pdzero | wc -c')).stdout.trim(), '3')

    await c.run('mkdir -p /www && echo served > /www/index.html')
    await c.run('httpd -f -p 80 -h /www', { detach: true })
    assert.equal(await fetchText(`http://127.0.0.1:${port}/`), 'served\n')
  })

  it('hardened by default: no-new-privileges, a pids limit, an init as PID 1', async () => {
    await using c = await newContainer()
    assert.match((await c.run('grep NoNewPrivs /proc/self/status')).stdout, /NoNewPrivs:\s+1/)
    assert.equal(await cgroup(c, 'pids.max', 'pids/pids.max'), '1024')
    assert.notEqual((await c.run('cat /proc/1/comm')).stdout.trim(), 'sh', 'PID 1 should be an init')
  })

  it('every default can be overridden, and network: false leaves only loopback', async () => {
    await using c = await newContainer({ network: false, pidsLimit: 100, init: false, noNewPrivileges: false })
    assert.equal((await c.run('ls /sys/class/net')).stdout.trim(), 'lo')
    assert.equal(await cgroup(c, 'pids.max', 'pids/pids.max'), '100')
    assert.match((await c.run('grep NoNewPrivs /proc/self/status')).stdout, /NoNewPrivs:\s+0/)
    assert.equal((await c.run('cat /proc/1/comm')).stdout.trim(), 'sh')
    const info = await c.info()
    assert.equal(info.network, false)
    assert.equal(info.ipAddress, null)
  })

  it('bad limits are refused before any engine call', async () => {
    await assert.rejects(newContainer({ pidsLimit: 0 }), RangeError)
    await assert.rejects(newContainer({ ports: { 70000: 80 } }), RangeError)
    await assert.rejects(newContainer({ memLimit: 'a lot' }), TypeError)
  })
})

describe('info()', () => {
  it('shows a live container: processes, memory, limits, ports, uptime', async () => {
    await using c = await newContainer({ memLimit: '64m', ports: [80], project })
    await c.run('sleep 300', { detach: true })
    // A detached command is started, not necessarily running yet.
    await c.run("until ps -o args | grep -q '^sleep 300'; do sleep 0.05; done", { timeout: 10 })
    const info = await c.info()
    assert.equal(info.id, c.containerId)
    assert.equal(info.name, c.name)
    assert.equal(info.status, 'running')
    assert.match(info.image, /pocket-dock-test\/busybox/)
    assert.ok(info.createdAt instanceof Date && info.startedAt instanceof Date)
    assert.ok(info.uptime > 0 && info.uptime < 60_000, `uptime ${info.uptime}`)
    assert.ok(info.pids >= 2, `pids ${info.pids}`)
    assert.ok(info.memoryUsageBytes > 0)
    assert.equal(info.memoryLimitBytes, 64 << 20)
    assert.equal(info.memoryLimit, '64.0 MiB')
    assert.ok(info.memoryPercent > 0 && info.memoryPercent < 100)
    assert.ok(info.cpuPercent >= 0)
    assert.ok(
      info.processes.some((p) => p.command.includes('sleep 300')),
      JSON.stringify(info.processes),
    )
    assert.equal(info.network, true)
    assert.equal(typeof info.ipAddress, 'string')
    // ports: [80] published container port 80 on a free host port.
    const hostPort = info.ports['80']
    assert.ok(hostPort > 0, JSON.stringify(info.ports))
    await c.run('mkdir -p /www && echo auto > /www/index.html')
    await c.run('httpd -f -p 80 -h /www', { detach: true })
    assert.equal(await fetchText(`http://127.0.0.1:${hostPort}/`), 'auto\n')
  })

  it('is never cached: a busy process shows up in cpuPercent', async () => {
    await using c = await newContainer()
    const idle = await c.info()
    await c.run('while :; do :; done', { detach: true })
    // On a loaded 2-core machine the loop may get little CPU at first: each
    // info() is a fresh sample, so ask again (a cached value would never move).
    const samples = []
    for (let i = 0; i < 10; i++) {
      samples.push((await c.info()).cpuPercent)
      if (samples.at(-1)! > idle.cpuPercent + 20) break
    }
    assert.ok(samples.at(-1)! > idle.cpuPercent + 20, `idle ${idle.cpuPercent}%, busy ${samples.join(', ')}%`)
  })
})

describe('persistence', () => {
  it('persist → shutdown → resume keeps files; snapshot → a new container sees them; fresh reboot clears them', async (t) => {
    const name = `pd-test-${randomBytes(4).toString('hex')}`
    const c = await newContainer({ name, persist: true, memLimit: '64m', project, timeout: 12 })
    await c.writeFile('/home/note.txt', 'kept')
    await c.shutdown()
    const listed = (await listContainers({ socketPath, project })).find((i) => i.name === name)
    assert.ok(listed, 'a stopped persistent container is listed')
    assert.equal(listed.status, 'exited')
    assert.equal(listed.persist, true)
    assert.equal(listed.project, project)
    assert.ok(listed.createdAt instanceof Date)

    const back = await resumeContainer(name, { socketPath })
    assert.equal(back.persist, true)
    assert.equal(back.project, project)
    assert.equal((await back.readFile('/home/note.txt')).toString(), 'kept')
    assert.equal((await back.info()).memoryLimitBytes, 64 << 20, 'limits are as created')

    const tag = `pocket-dock-test/snapshot:${randomBytes(4).toString('hex')}`
    const imageId = await back.snapshot(tag)
    t.after(() => native.removeImage(tag, true, socketPath))
    assert.match(imageId, /^sha256:[0-9a-f]{64}$/)
    {
      await using copy = await createNewContainer({ ...testOptions(), image: tag })
      assert.equal((await copy.readFile('/home/note.txt')).toString(), 'kept')
    }

    await back.reboot()
    assert.equal((await back.readFile('/home/note.txt')).toString(), 'kept', 'a reboot in place keeps files')
    const oldId = back.containerId
    await back.reboot({ fresh: true })
    assert.notEqual(back.containerId, oldId)
    await assert.rejects(back.readFile('/home/note.txt'), FileNotFound)
    const fresh = await back.info()
    assert.equal(fresh.name, name)
    assert.equal(fresh.memoryLimitBytes, 64 << 20)

    await destroyContainer(name, { socketPath })
    assert.ok(!(await names()).includes(name))
    await assert.rejects(back.run('true'), (e: Error) => e instanceof ContainerNotRunning || e.name === 'ContainerGone')
  })

  it('a stopped container refuses commands with ContainerNotRunning; resume brings it back', async () => {
    const name = `pd-test-${randomBytes(4).toString('hex')}`
    const c = await newContainer({ name, persist: true, project })
    await stopContainer(name, { socketPath })
    await assert.rejects(c.run('true'), ContainerNotRunning)
    await stopContainer(name, { socketPath }) // stopping twice is fine
    const back = await resumeContainer(name, { socketPath, timeout: 5 })
    assert.equal((await back.run('echo back')).stdout, 'back\n')
    await destroyContainer(name, { socketPath })
  })

  it('unknown names are ContainerNotFound', async () => {
    for (const call of [resumeContainer, stopContainer, destroyContainer]) {
      await assert.rejects(call('pd-no-such-container', { socketPath }), ContainerNotFound)
    }
    await assert.rejects(resumeContainer('', { socketPath }), TypeError)
    await assert.rejects(resumeContainer('x', { socketPath, timeout: -1 }), RangeError)
  })

  it('listContainers, prune, resume, stop and destroy never touch containers pocket-dock did not create', async (t) => {
    const docker = new Docker(socketPath ? { socketPath } : undefined)
    const foreign = `foreign-${randomBytes(4).toString('hex')}`
    // Labelled with our project (but not as managed): a filter slip would catch it.
    const made = await docker.createContainer({
      name: foreign,
      Image: IMAGE,
      Cmd: ['true'],
      Labels: { 'pocket-dock.project': project },
    })
    t.after(() => made.remove({ force: true }))
    await made.start()
    await made.wait()
    const stopped = await newContainer({ persist: true, project })
    await stopped.shutdown()

    assert.ok(!(await names()).includes(foreign))
    assert.equal(await prune({ socketPath, project }), 1, 'only our stopped container is pruned')
    assert.equal((await made.inspect()).State.Status, 'exited', 'the foreign container is untouched')
    for (const call of [resumeContainer, stopContainer, destroyContainer]) {
      await assert.rejects(call(foreign, { socketPath }), ContainerNotFound)
    }
    assert.equal((await made.inspect()).State.Status, 'exited')
  })
})

describe('the reaper', () => {
  it('ephemeral containers die with a SIGKILLed owner; persistent ones survive', async () => {
    const fixture = join(__dirname, 'fixtures', 'hold-containers.mjs')
    const child = spawn(process.execPath, [fixture, socketPath ?? '', IMAGE, project, '3', '1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const line = await firstLine(child, 'creating containers')
    const made = JSON.parse(line) as { name: string; persist: boolean }[]
    const ephemeral = made.filter((m) => !m.persist).map((m) => m.name)
    const persistent = made.filter((m) => m.persist).map((m) => m.name)
    assert.equal(ephemeral.length, 3)
    for (const n of made) assert.ok((await names()).includes(n.name))

    child.kill('SIGKILL')
    const killedAt = Date.now()
    let left = ephemeral
    while (left.length && Date.now() - killedAt < 15_000) {
      await new Promise((r) => setTimeout(r, 250))
      const now = await names()
      left = ephemeral.filter((n) => now.includes(n))
    }
    assert.deepEqual(left, [], `ephemeral containers outlived their owner by 15 s`)
    assert.ok((await names()).includes(persistent[0]), 'a persistent container is never reaped')
    await destroyContainer(persistent[0], { socketPath })
  })

  it('prune also removes ephemeral containers whose owner is gone', async () => {
    // The reaper normally gets there first; this checks the sweep's rule on a
    // container labelled as owned by a process that has ended.
    const docker = new Docker(socketPath ? { socketPath } : undefined)
    const dead = spawn(process.execPath, ['-e', ''])
    await new Promise((r) => dead.on('exit', r))
    const { hostname } = await import('node:os')
    const orphan = await docker.createContainer({
      Image: IMAGE,
      Entrypoint: ['/bin/sh', '-c', 'sleep 600'],
      Labels: {
        'pocket-dock.managed': 'true',
        'pocket-dock.persist': 'false',
        'pocket-dock.project': project,
        'pocket-dock.owner-pid': String(dead.pid),
        'pocket-dock.owner-host': hostname(),
        'pocket-dock-test': 'js',
      },
    })
    await orphan.start()
    await using alive = await newContainer({ project })
    // Another pocket-dock process starting meanwhile (a parallel test file)
    // may sweep the orphan first, by the same rule: either way it goes.
    assert.ok((await prune({ socketPath, project })) <= 1)
    await assert.rejects(orphan.inspect())
    assert.equal((await alive.run('echo alive')).stdout, 'alive\n')
  })
})
