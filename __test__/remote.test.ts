// Remote engines, for real: the engine under test exposed on loopback over
// TLS (socat, client certificates required) and over SSH (sshd, the docker CLI's
// `docker system dial-stdio` on the far side), by scripts/start-remote.sh. The
// core scenarios (create, run, stream, files, reaper after SIGKILL, images)
// run through each; TLS and SSH failures are typed; DOCKER_HOST with
// DOCKER_TLS_VERIFY and a Docker context are picked up by discovery.
import assert from 'node:assert/strict'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  EngineConnectionError,
  SocketConnectionError,
  createNewContainer,
  engines,
  listContainers,
  exportImages,
  importImages,
  listImages,
  ping,
  type CreateOptions,
  type SocketOptions,
} from 'pocket-dock'
import * as sync from 'pocket-dock/sync'
import { IMAGE, engineKind, firstLine } from './helpers'

const root = join(__dirname, '..')
const state = mkdtempSync(join(tmpdir(), 'pd-remote-'))
let env: { dir: string; tlsDocker: number; tlsPodman: number | null; sshPort: number; sshCommand: string }
let kind: 'docker' | 'podman'
const project = `pd-remote-${randomBytes(4).toString('hex')}`

before(() => {
  execFileSync('bash', [join(root, 'scripts/start-remote.sh'), 'start', state], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  env = JSON.parse(readFileSync(join(state, 'env.json'), 'utf8'))
  // The ssh client reads this test's own config (key, known_hosts).
  process.env.POCKET_DOCK_SSH_COMMAND = env.sshCommand
})
before(async () => {
  kind = await engineKind()
})
after(() => {
  execFileSync('bash', [join(root, 'scripts/start-remote.sh'), 'stop', state])
})

function tls(extra: Partial<{ ca: string; cert: string; key: string }> = {}) {
  return { ca: join(state, 'ca.pem'), cert: join(state, 'cert.pem'), key: join(state, 'key.pem'), ...extra }
}
function tlsPort(): number {
  return kind === 'podman' ? (env.tlsPodman as number) : env.tlsDocker
}
/** The engine under test, over TLS. */
function overTls(): SocketOptions {
  return { host: `tcp://127.0.0.1:${tlsPort()}`, tls: tls() }
}
/** The engine under test, over SSH (Podman's socket named on the far side). */
function overSsh(): SocketOptions {
  const socket = kind === 'podman' ? '/run/podman/podman.sock' : ''
  return { host: `ssh://root@127.0.0.1:${env.sshPort}${socket}` }
}

/** Runs `script` (ESM, importing pocket-dock) in a child with `extra` env; returns its stdout parsed as JSON. */
function inChild(script: string, extra: Record<string, string | undefined>): unknown {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...extra }
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k]
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: childEnv as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: 120_000,
  })
  return JSON.parse(out.trim().split('\n').pop() as string)
}

for (const [name, via] of [
  ['TLS', overTls],
  ['SSH', overSsh],
] as const) {
  describe(`over ${name}`, { timeout: 300_000 }, () => {
    const opts = (extra: CreateOptions = {}): CreateOptions => ({
      image: IMAGE,
      ...via(),
      project,
      labels: { 'pocket-dock-test': 'js' },
      ...extra,
    })

    it('ping() names the engine, its version and a latency', async () => {
      const s = await ping(via())
      assert.equal(s.ok, true, String(s.error))
      assert.equal(s.kind, kind)
      assert.match(s.version ?? '', /^\d+\.\d+/)
      assert.match(s.apiVersion ?? '', /^1\.\d+$/)
      assert.ok((s.latencyMs ?? -1) >= 0)
      assert.equal(s.source, 'host')
    })

    it('creates a container, runs commands in every mode, and info() says which engine', async () => {
      const c = await createNewContainer(opts())
      try {
        const r = await c.run('echo hello; echo oops >&2; exit 3')
        assert.deepEqual([r.stdout, r.stderr, r.exitCode], ['hello\n', 'oops\n', 3])
        const timed = await c.run('echo started; sleep 30', { timeout: 1 })
        assert.equal(timed.timedOut, true)
        assert.equal(timed.stdout, 'started\n')

        const stream = await c.run('for i in 1 2 3; do echo $i; sleep 0.2; done', { stream: true })
        let text = ''
        for await (const chunk of stream) text += chunk.data
        assert.equal(text, '1\n2\n3\n')
        assert.equal(stream.result.exitCode, 0)

        const proc = await c.run('echo ready; sleep 30', { detach: true })
        for (let i = 0; i < 300 && !proc.peek().stdout.includes('ready'); i++)
          await new Promise((r) => setTimeout(r, 100))
        assert.equal(proc.peek().stdout, 'ready\n')
        await proc.kill()
        const done = await proc.wait({ timeout: 30 })
        assert.notEqual(done.exitCode, 0)

        const session = await c.session()
        await session.sendAndWait('cd /tmp && X=42')
        assert.equal((await session.sendAndWait('echo $X $(pwd)')).stdout, '42 /tmp\n')
        await session.close()

        const info = await c.info()
        assert.equal(info.engine, (await ping(via())).host)
        assert.equal(info.engineSource, 'host')
        assert.equal(info.status, 'running')
      } finally {
        await c.shutdown()
      }
    })

    it('files move over the API: push and pull use the client paths, bytes intact', async () => {
      const c = await createNewContainer(opts())
      const dir = mkdtempSync(join(tmpdir(), 'pd-remote-files-'))
      try {
        const blob = randomBytes(3 * 1024 * 1024 + 7)
        mkdirSync(join(dir, 'src/sub'), { recursive: true })
        writeFileSync(join(dir, 'src/sub/blob.bin'), blob)
        writeFileSync(join(dir, 'src/a.txt'), 'a')
        await c.push(join(dir, 'src'), '/tmp/in')
        assert.deepEqual((await c.listFiles('/tmp/in')).sort(), ['a.txt', 'sub/'])
        await c.pull('/tmp/in', join(dir, 'out'))
        assert.ok(readFileSync(join(dir, 'out/sub/blob.bin')).equals(blob))
        await c.writeFile('/tmp/w.txt', 'written')
        assert.equal((await c.readFile('/tmp/w.txt')).toString(), 'written')
      } finally {
        rmSync(dir, { recursive: true, force: true })
        await c.shutdown()
      }
    })

    it('lists images and managed containers of this engine', async () => {
      const images = await listImages(via())
      assert.ok(
        images.some((i) => i.tags.some((t) => t.endsWith('pocket-dock-test/busybox:latest'))),
        JSON.stringify(images.map((i) => i.tags)),
      )
      const c = await createNewContainer(opts({ persist: true }))
      try {
        const listed = await listContainers({ ...via(), project })
        assert.ok(listed.some((l) => l.name === c.name))
      } finally {
        await c.shutdown({ force: true })
        await sync.destroyContainer(c.name, via())
      }
    })

    it('moves images as archives over the remote connection: export to a client file, import back', async () => {
      const file = join(state, `images-${name}.tar.gz`)
      await exportImages([IMAGE], file, { ...via(), gzip: true })
      assert.ok(statSync(file).size > 0)
      const tags = await importImages(file, via())
      assert.ok(
        tags.some((t) => t.endsWith('pocket-dock-test/busybox:latest')),
        JSON.stringify(tags),
      )
      rmSync(file)
    })

    it('a SIGKILLed owner still ends its ephemeral containers on the remote engine', async () => {
      const fixture = join(__dirname, 'fixtures', 'hold-containers.mjs')
      const address = remoteAddress(via())
      const child = spawn(process.execPath, [fixture, address, IMAGE, project, '2', '0'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      const line = await firstLine(child, 'creating containers')
      const made = (JSON.parse(line) as { name: string }[]).map((m) => m.name)
      const names = async () => (await listContainers({ ...via(), project })).map((l) => l.name)
      for (const n of made) assert.ok((await names()).includes(n))
      child.kill('SIGKILL')
      const killedAt = Date.now()
      let left = made
      while (left.length && Date.now() - killedAt < 30_000) {
        await new Promise((r) => setTimeout(r, 500))
        const now = await names()
        left = made.filter((n) => now.includes(n))
      }
      assert.deepEqual(left, [], 'ephemeral containers outlived their SIGKILLed owner by 30 s')
    })
  })
}

/** The one host string `opts` stands for, as a child process can take it in `socketPath`. */
function remoteAddress(opts: SocketOptions): string {
  if (!opts.tls) return opts.host as string
  const t = opts.tls
  const q = [`tlsca=${encodeURIComponent(t.ca)}`]
  if (t.cert && t.key) q.push(`tlscert=${encodeURIComponent(t.cert)}`, `tlskey=${encodeURIComponent(t.key)}`)
  return `${opts.host}?${q.join('&')}`
}

describe('connection failures are typed and say what to check', { timeout: 120_000 }, () => {
  it('TLS: a wrong CA names the CA file', async () => {
    const err = await createNewContainer({
      image: IMAGE,
      host: `tcp://127.0.0.1:${tlsPort()}`,
      tls: tls({ ca: join(state, 'wrong-ca.pem') }),
    }).catch((e: unknown) => e)
    assert.ok(err instanceof EngineConnectionError, String(err))
    assert.ok(err instanceof SocketConnectionError, 'still a SocketConnectionError')
    assert.equal(err.reason, 'tls')
    assert.equal(err.code, 'ENGINE_CONNECTION_ERROR')
    assert.match(err.message, /wrong-ca\.pem/)
    assert.match(err.message, /not signed by the CA/)
  })

  it('TLS: no client certificate is refused by the engine, and the message says so', async () => {
    const err = await listContainers({
      host: `tcp://127.0.0.1:${tlsPort()}`,
      tls: { ca: join(state, 'ca.pem') },
    }).catch((e: unknown) => e)
    assert.ok(err instanceof EngineConnectionError, String(err))
    assert.equal(err.reason, 'tls')
    assert.match(err.message, /client certificate/)
  })

  it('TLS: a name the certificate does not list is named', async () => {
    const s = await ping({ host: `tcp://localhost:${tlsPort()}`, tls: tls() })
    assert.equal(s.ok, false)
    assert.ok(s.error instanceof EngineConnectionError, String(s.error))
    assert.equal(s.error.reason, 'tls')
    assert.match(s.error.message, /"localhost"/)
  })

  it('plain HTTP to the TLS port is the wrong protocol; a closed port is refused', async () => {
    const plain = await ping({ host: `tcp://127.0.0.1:${tlsPort()}` })
    assert.ok(plain.error instanceof EngineConnectionError, String(plain.error))
    assert.equal(plain.error.reason, 'protocol')
    assert.match(plain.error.message, /tls/i)
    // sshd's port speaks SSH, not TLS.
    const wrong = await ping({ host: `tcp://127.0.0.1:${env.sshPort}`, tls: tls() })
    assert.ok(wrong.error instanceof EngineConnectionError, String(wrong.error))
    assert.equal(wrong.error.reason, 'protocol')
    const closed = await ping({ host: 'tcp://127.0.0.1:1' })
    assert.ok(closed.error instanceof EngineConnectionError)
    assert.equal(closed.error.reason, 'refused')
  })

  it('SSH: a refused login is an auth error that quotes ssh', async () => {
    const err = await listContainers({ host: `ssh://nobody-pd@127.0.0.1:${env.sshPort}` }).catch((e: unknown) => e)
    assert.ok(err instanceof EngineConnectionError, String(err))
    assert.equal(err.reason, 'auth')
    assert.match(err.message, /Permission denied/)
  })

  it('bad remote options are refused before any engine is contacted', async () => {
    await assert.rejects(listContainers({ tls: tls() }), TypeError)
    await assert.rejects(listContainers({ host: 'unix:///x.sock', tls: tls() }), TypeError)
    await assert.rejects(listContainers({ host: 'tcp://127.0.0.1:1', tls: { ca: '' } }), TypeError)
    await assert.rejects(listContainers({ host: 'ftp://x' }), TypeError)
    // Plain TCP to another machine would hand out root on it.
    await assert.rejects(listContainers({ host: 'tcp://192.0.2.1:2375' }), /allowInsecure/)
    assert.throws(() => sync.listContainers({ host: 'tcp://192.0.2.1:2375' }), TypeError)
  })
})

describe('discovery from the docker CLI environment', { timeout: 120_000 }, () => {
  const script = `import { ping } from 'pocket-dock'; const s = await ping(); console.log(JSON.stringify({ ok: s.ok, host: s.host, source: s.source, kind: s.kind, error: s.error && s.error.message }))`
  const clean = { POCKET_DOCK_SOCKET: undefined, DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined }

  it('DOCKER_HOST with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', () => {
    const got = inChild(script, {
      ...clean,
      DOCKER_HOST: `tcp://127.0.0.1:${tlsPort()}`,
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: state,
    }) as Record<string, unknown>
    assert.deepEqual(got, {
      ok: true,
      host: `tcp://127.0.0.1:${tlsPort()}`,
      source: 'DOCKER_HOST',
      kind,
      error: null,
    })
  })

  it('DOCKER_CONTEXT names a context whose endpoint and TLS files are in ~/.docker/contexts', () => {
    const config = join(state, 'docker-config')
    const id = createHash('sha256').update('pd-tls').digest('hex')
    mkdirSync(join(config, 'contexts/meta', id), { recursive: true })
    mkdirSync(join(config, 'contexts/tls', id, 'docker'), { recursive: true })
    writeFileSync(
      join(config, 'contexts/meta', id, 'meta.json'),
      JSON.stringify({
        Name: 'pd-tls',
        Metadata: {},
        Endpoints: { docker: { Host: `tcp://127.0.0.1:${tlsPort()}`, SkipTLSVerify: false } },
      }),
    )
    for (const f of ['ca.pem', 'cert.pem', 'key.pem'])
      copyFileSync(join(state, f), join(config, 'contexts/tls', id, 'docker', f))
    const got = inChild(script, { ...clean, DOCKER_CONFIG: config, DOCKER_CONTEXT: 'pd-tls' }) as Record<
      string,
      unknown
    >
    assert.deepEqual(got, {
      ok: true,
      host: `tcp://127.0.0.1:${tlsPort()}`,
      source: 'Docker context "pd-tls"',
      kind,
      error: null,
    })
    // The same context as config.json's currentContext.
    writeFileSync(join(config, 'config.json'), JSON.stringify({ currentContext: 'pd-tls' }))
    const current = inChild(script, { ...clean, DOCKER_CONFIG: config }) as Record<string, unknown>
    assert.equal(current.source, 'Docker context "pd-tls"')
  })

  it('the CLI reaches the remote engine: --host with the TLS files, and ssh://', () => {
    const bin = join(root, 'dist', 'cli', 'bin.js')
    const cli = (...args: string[]) =>
      execFileSync(process.execPath, [bin, ...args], { cwd: state, encoding: 'utf8', timeout: 120_000 })
    const t = tls()
    const viaTls = [
      '--host',
      `tcp://127.0.0.1:${tlsPort()}`,
      '--tlscacert',
      t.ca,
      '--tlscert',
      t.cert,
      '--tlskey',
      t.key,
    ]
    for (const flags of [viaTls, ['--host', overSsh().host as string]]) {
      const status = JSON.parse(cli(...flags, 'status', '--json')) as { engines: { ok: boolean; kind: string }[] }
      assert.deepEqual(
        status.engines.map((e) => [e.ok, e.kind]),
        [[true, kind]],
      )
      const name = `pd-remote-cli-${randomBytes(3).toString('hex')}`
      cli(...flags, 'create', '--image', IMAGE, '--name', name)
      try {
        assert.equal(cli(...flags, 'run', name, '--', 'echo', 'remote'), 'remote\n')
      } finally {
        cli(...flags, 'destroy', name, '-y')
      }
    }
    // Without the CA, the engine's certificate is not trusted: one line, exit 1.
    const failed = spawnSync(process.execPath, [bin, '--host', `tcp://127.0.0.1:${tlsPort()}`, 'list'], {
      cwd: state,
      encoding: 'utf8',
    })
    assert.equal(failed.status, 1, failed.stderr)
  })

  it('engines() reports every configured engine with its latency', async () => {
    const list = await engines()
    assert.ok(list.length >= 1)
    const answering = list.filter((e) => e.ok)
    assert.ok(answering.length >= 1, JSON.stringify(list))
    for (const e of answering) {
      assert.ok(e.kind === 'docker' || e.kind === 'podman')
      assert.ok((e.latencyMs ?? -1) >= 0)
    }
    assert.deepEqual(
      sync.engines().map((e) => e.host),
      list.map((e) => e.host),
    )
  })
})
