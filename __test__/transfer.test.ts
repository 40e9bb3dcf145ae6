// push and pull of files and directories: modes and symlinks kept, and a
// hostile container cannot make pull write outside its destination.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join, relative } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ContainerError, FileNotFound, SocketCommunicationError, type AsyncContainer } from 'pocket-dock'
import { newContainer } from './helpers'

/** path → [kind, mode, content or link target] for every entry below `root`. */
function snapshot(root: string, rel = ''): Record<string, [string, number, string]> {
  const out: Record<string, [string, number, string]> = {}
  for (const name of readdirSync(join(root, rel)).sort()) {
    const p = join(rel, name)
    const st = lstatSync(join(root, p))
    if (st.isSymbolicLink()) out[p] = ['link', 0, readlinkSync(join(root, p))]
    else if (st.isDirectory()) {
      out[p] = ['dir', st.mode & 0o777, '']
      Object.assign(out, snapshot(root, p))
    } else out[p] = ['file', st.mode & 0o777, readFileSync(join(root, p), 'utf8')]
  }
  return out
}

describe('push and pull', () => {
  let c: AsyncContainer
  let host: string
  before(async () => {
    c = await newContainer()
    host = mkdtempSync(join(tmpdir(), 'pd-transfer-'))
  })
  after(async () => {
    await c.shutdown({ force: true })
    rmSync(host, { recursive: true, force: true })
  })

  it('a tree round-trips with content, modes and symlinks intact', async () => {
    const src = join(host, 'src')
    mkdirSync(join(src, 'nested/deeper'), { recursive: true })
    writeFileSync(join(src, 'run.sh'), '#!/bin/sh\necho ran\n')
    chmodSync(join(src, 'run.sh'), 0o755)
    writeFileSync(join(src, 'file with spaces.txt'), 'spaces\n')
    writeFileSync(join(src, 'nested/deeper/data.bin'), 'déjà vu\n')
    chmodSync(join(src, 'nested/deeper/data.bin'), 0o600)
    symlinkSync('nested/deeper/data.bin', join(src, 'link'))
    await c.push(src, '/home/sandbox/src')
    assert.equal((await c.run('/home/sandbox/src/run.sh')).stdout, 'ran\n')
    assert.equal((await c.run('readlink /home/sandbox/src/link')).stdout, 'nested/deeper/data.bin\n')
    await c.pull('/home/sandbox/src', join(host, 'back'))
    assert.deepEqual(snapshot(join(host, 'back')), snapshot(src))
  })

  it('a single file goes in and out under the given name', async () => {
    writeFileSync(join(host, 'one.txt'), 'one\n')
    await c.push(join(host, 'one.txt'), '/tmp/new/dir/renamed.txt')
    assert.equal((await c.readFile('/tmp/new/dir/renamed.txt')).toString(), 'one\n')
    await c.pull('/tmp/new/dir/renamed.txt', join(host, 'out.txt'))
    assert.equal(readFileSync(join(host, 'out.txt'), 'utf8'), 'one\n')
  })

  it('a hostile container cannot make pull write outside dest', async () => {
    const outside = join(host, 'outside')
    mkdirSync(outside)
    writeFileSync(join(outside, 'keep.txt'), 'untouched\n')
    // Symlinks leading out, then entries that would be written through them.
    await c.run(
      `mkdir -p /tmp/evil/sub && cd /tmp/evil && ln -s ${outside} link && ln -s /etc/passwd pw && ln -s ../../.. up && echo x > sub/ok.txt`,
    )
    const before = snapshot(outside)
    const passwd = readFileSync('/etc/passwd', 'utf8')
    const dest = join(host, 'evil-out')
    await assert.rejects(c.pull('/tmp/evil', dest), (e: unknown) => {
      assert.ok(e instanceof ContainerError)
      assert.match(e.message, /refused/)
      assert.match(e.message, /pw -> \/etc\/passwd/)
      return true
    })
    assert.deepEqual(snapshot(outside), before)
    assert.equal(readFileSync('/etc/passwd', 'utf8'), passwd)
    assert.ok(!existsSync(join(dest, 'link')) && !existsSync(join(dest, 'pw')) && !existsSync(join(dest, 'up')))
    assert.equal(readFileSync(join(dest, 'sub/ok.txt'), 'utf8'), 'x\n') // the harmless part still arrives
  })

  it('missing paths and relative container paths are typed errors', async () => {
    await assert.rejects(c.pull('/tmp/nope', join(host, 'nope')), FileNotFound)
    assert.ok(!existsSync(join(host, 'nope')))
    await assert.rejects(c.pull('tmp/x', join(host, 'x')), TypeError)
    await assert.rejects(c.push(join(host, 'one.txt'), 'relative/x'), TypeError)
    await assert.rejects(c.push(join(host, 'does-not-exist'), '/tmp/x'), TypeError)
  })

  it('a dest that cannot be written is a TypeError about dest, not an engine failure', async () => {
    writeFileSync(join(host, 'a-file'), 'x\n')
    await c.run('mkdir -p /tmp/small && echo s > /tmp/small/s.txt')
    await assert.rejects(c.pull('/tmp/small', join(host, 'a-file/below')), (e: unknown) => {
      assert.ok(e instanceof TypeError, String(e))
      assert.equal((e as { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
      assert.ok(e.message.includes(join(host, 'a-file/below')), e.message)
      return true
    })
  })

  it('64 MiB moves both ways without the process holding it', async () => {
    const big = join(host, 'big.bin')
    const back = join(host, 'big-back.bin')
    // Made and compared outside this process, so its peak RSS is the transfer's alone.
    execFileSync('sh', ['-c', `head -c ${64 << 20} /dev/urandom > '${big}'`])
    const rssBefore = process.memoryUsage().rss
    await c.push(big, '/tmp/big.bin')
    await c.pull('/tmp/big.bin', back)
    const grew = (process.resourceUsage().maxRSS * 1024 - rssBefore) / 2 ** 20
    assert.equal(statSync(back).size, 64 << 20)
    execFileSync('cmp', [big, back])
    assert.ok(grew < 32, `peak RSS grew ${grew.toFixed(1)} MiB moving 64 MiB`)
  })
})

/** Whether `p` is `root` or lies below it. */
function inside(root: string, p: string): boolean {
  const rel = relative(root, p)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/** Every symlink below `root` whose target, resolved on disk now, lies outside `root`. */
function linksLeadingOut(root: string, rel = ''): string[] {
  const out: string[] = []
  // `.native` resolves as the kernel does: Node's own realpath folds `..` lexically.
  const real = realpathSync.native(root)
  for (const name of readdirSync(join(root, rel))) {
    const p = join(rel, name)
    const st = lstatSync(join(root, p))
    if (st.isSymbolicLink()) {
      let target: string
      try {
        target = realpathSync.native(join(root, p))
      } catch {
        continue // dangling or a loop: leads nowhere
      }
      if (!inside(real, target)) out.push(`${p} -> ${target}`)
    } else if (st.isDirectory()) out.push(...linksLeadingOut(root, p))
  }
  return out
}

describe('pull of a hostile tree', () => {
  let c: AsyncContainer
  let host: string
  before(async () => {
    c = await newContainer()
    host = mkdtempSync(join(tmpdir(), 'pd-hostile-'))
  })
  after(async () => {
    await c.shutdown({ force: true })
    rmSync(host, { recursive: true, force: true })
  })

  /** A pull that may be refused (a ContainerError naming what), never any other failure. */
  async function pullMaybeRefused(src: string, dest: string): Promise<void> {
    await c.pull(src, dest).catch((e: unknown) => {
      assert.ok(e instanceof ContainerError, String(e))
      assert.match(e.message, /refused/)
    })
  }

  it('a chain of symlinks, pulled twice, cannot reach or chmod the host dir beside dest', async () => {
    // chain -> d/l/../../victim with d/l -> ..: lexically inside, physically
    // two levels above dest once d/l exists on the host.
    const base = mkdtempSync(join(host, 'chain-'))
    const victim = join(base, 'victim')
    mkdirSync(victim)
    chmodSync(victim, 0o700)
    writeFileSync(join(victim, 'keep.txt'), 'untouched\n')
    const dest = join(base, 'a', 'dest')
    mkdirSync(join(base, 'a'))
    const before = snapshot(base)
    await c.run('mkdir -p /src/d && cd /src && ln -s .. d/l && ln -s d/l/../../victim chain')
    await pullMaybeRefused('/src', dest)
    assert.deepEqual(linksLeadingOut(dest), [])
    // The container swaps the link for a world-writable directory and is pulled again.
    await c.run('rm /src/chain && mkdir /src/chain && chmod 777 /src/chain && echo x > /src/chain/planted')
    await pullMaybeRefused('/src', dest)
    assert.equal(statSync(victim).mode & 0o7777, 0o700)
    const after = snapshot(base)
    for (const p of Object.keys(after)) if (p.startsWith('a/dest/')) delete after[p]
    delete after['a/dest']
    assert.deepEqual(after, before)
    assert.equal(readFileSync(join(dest, 'chain/planted'), 'utf8'), 'x\n')
    assert.ok(lstatSync(join(dest, 'chain')).isDirectory())
  })

  it('a refused pull leaves no link in dest that leads outside it', async () => {
    await c.run(
      'mkdir -p /tmp/refused/d/e && cd /tmp/refused && ln -s .. d/l && ln -s ../.. d/e/up && ln -s d/l/../../x chain && ln -s d/e/up/../y chain2 && ln -s /etc abs && ln -s d/e/../../.. mid && echo ok > ok.txt',
    )
    // Where the links would lead once on the host: made to exist, so realpath shows it.
    const base = mkdtempSync(join(host, 'refused-'))
    mkdirSync(join(base, 'a'))
    writeFileSync(join(base, 'x'), 'x\n')
    writeFileSync(join(base, 'a/y'), 'y\n')
    const dest = join(base, 'a/dest')
    await assert.rejects(c.pull('/tmp/refused', dest), (e: unknown) => {
      assert.ok(e instanceof ContainerError)
      assert.match(e.message, /refused/)
      assert.match(e.message, /chain -> d\/l\/\.\.\/\.\.\/x/)
      return true
    })
    assert.deepEqual(linksLeadingOut(dest), [])
    assert.equal(readFileSync(join(dest, 'ok.txt'), 'utf8'), 'ok\n')
    assert.equal(readlinkSync(join(dest, 'd/l')), '..') // a link that stays inside arrives
  })

  it('a symlink already in dest that leads outside is replaced, never followed', async () => {
    const outside = join(host, 'planted-outside')
    mkdirSync(outside)
    chmodSync(outside, 0o700)
    writeFileSync(join(outside, 'target.txt'), 'mine\n')
    const dest = join(host, 'planted')
    mkdirSync(dest)
    symlinkSync(outside, join(dest, 'sub')) // the user's own links, or an earlier pull's
    symlinkSync(join(outside, 'target.txt'), join(dest, 'file.txt'))
    const before = snapshot(outside)
    await c.run(
      'mkdir -p /tmp/planted/sub && chmod 777 /tmp/planted/sub && echo new > /tmp/planted/sub/new.txt && echo theirs > /tmp/planted/file.txt',
    )
    await c.pull('/tmp/planted', dest)
    assert.deepEqual(snapshot(outside), before)
    assert.equal(statSync(outside).mode & 0o7777, 0o700)
    assert.ok(lstatSync(join(dest, 'sub')).isDirectory())
    assert.equal(readFileSync(join(dest, 'sub/new.txt'), 'utf8'), 'new\n')
    assert.ok(lstatSync(join(dest, 'file.txt')).isFile())
    assert.equal(readFileSync(join(dest, 'file.txt'), 'utf8'), 'theirs\n')
  })

  it('pulled modes lose setuid, setgid, sticky and group/other write', async () => {
    await c.run(
      'mkdir -p /tmp/modes/open && cd /tmp/modes && chmod 1777 open && echo x > suid && chmod 4777 suid && echo y > gw && chmod 2664 gw && echo z > ro && chmod 444 ro',
    )
    const dest = join(host, 'modes')
    await c.pull('/tmp/modes', dest)
    assert.equal(statSync(join(dest, 'open')).mode & 0o7777, 0o755)
    assert.equal(statSync(join(dest, 'suid')).mode & 0o7777, 0o755)
    assert.equal(statSync(join(dest, 'gw')).mode & 0o7777, 0o644)
    assert.equal(statSync(join(dest, 'ro')).mode & 0o7777, 0o644) // the owner can still replace it
  })

  it('a sparse 1 GiB file stays sparse on the host', async () => {
    await c.run('echo start > /tmp/sparse.bin && truncate -s 1G /tmp/sparse.bin && echo end >> /tmp/sparse.bin')
    const dest = join(host, 'sparse.bin')
    await c.pull('/tmp/sparse.bin', dest)
    const st = statSync(dest)
    assert.equal(st.size, 2 ** 30 + 4)
    assert.ok(st.blocks * 512 < 16 << 20, `${st.blocks * 512} bytes on disk for a sparse 1 GiB file`)
    const fd = openSync(dest, 'r')
    const head = Buffer.alloc(6)
    const tail = Buffer.alloc(4)
    readSync(fd, head, 0, 6, 0)
    readSync(fd, tail, 0, 4, 2 ** 30)
    closeSync(fd)
    assert.equal(head.toString(), 'start\n')
    assert.equal(tail.toString(), 'end\n')
  })
})

describe('pull into what is already on the host, and what the engine sends', () => {
  let c: AsyncContainer
  let host: string
  before(async () => {
    c = await newContainer()
    host = mkdtempSync(join(tmpdir(), 'pd-pull-edges-'))
  })
  after(async () => {
    await c.shutdown({ force: true })
    rmSync(host, { recursive: true, force: true })
  })

  it('an existing dest keeps its mode, also through a symlink; a dest the pull creates takes the filtered mode', async () => {
    const private_ = join(host, 'dm/private')
    mkdirSync(private_, { recursive: true })
    chmodSync(private_, 0o700)
    writeFileSync(join(private_, 'secret'), 'mine\n')
    symlinkSync('private', join(host, 'dm/link'))
    await c.run('mkdir -p /pub/sub && chmod 755 /pub && chmod 777 /pub/sub && echo x > /pub/x')
    await c.pull('/pub', private_)
    assert.equal(statSync(private_).mode & 0o7777, 0o700)
    assert.equal(readFileSync(join(private_, 'x'), 'utf8'), 'x\n') // merged into it
    assert.equal(readFileSync(join(private_, 'secret'), 'utf8'), 'mine\n')
    assert.equal(statSync(join(private_, 'sub')).mode & 0o7777, 0o755) // below dest: the filtered mode
    await c.pull('/pub', join(host, 'dm/link'))
    assert.equal(statSync(private_).mode & 0o7777, 0o700)
    assert.ok(lstatSync(join(host, 'dm/link')).isSymbolicLink())
    await c.pull('/pub', join(host, 'dm/fresh'))
    assert.equal(statSync(join(host, 'dm/fresh')).mode & 0o7777, 0o755)
    await c.run('mkdir -p /closed && chmod 700 /closed')
    await c.pull('/closed', join(host, 'dm/closed'))
    assert.equal(statSync(join(host, 'dm/closed')).mode & 0o7777, 0o700)
  })

  it('a path the engine sends nothing for is FileNotFound on both engines; an empty file is an empty file', async () => {
    for (const src of ['/proc/1', '/proc/1/', '/proc/1/status', '/sys/kernel']) {
      const dest = join(host, 'nothing')
      await assert.rejects(c.pull(src, dest), (e: unknown) => {
        assert.ok(e instanceof FileNotFound, `${src}: ${String(e)}`)
        assert.ok(e.message.includes(src), e.message)
        return true
      })
      assert.ok(!existsSync(dest), src)
    }
    await c.run('mkdir -p /tmp/hollow && : > /tmp/hollow/empty && : > /tmp/empty')
    await c.pull('/tmp/empty', join(host, 'empty'))
    assert.equal(readFileSync(join(host, 'empty'), 'utf8'), '')
    await c.pull('/tmp/hollow', join(host, 'hollow'))
    assert.equal(readFileSync(join(host, 'hollow/empty'), 'utf8'), '')
  })

  it('a file that shrinks while pulled is a ContainerError saying so, not an engine failure', async () => {
    // Rewritten and emptied in a loop: the engine writes a header with the
    // old size, then finds fewer bytes, and ends its archive early.
    await c.run(
      'mkdir -p /r && (while :; do head -c 8000000 /dev/zero > /r/f; : > /r/f; done) >/dev/null 2>&1 & echo $! > /tmp/writer',
    )
    let changed = 0
    try {
      for (let i = 0; i < 20 && changed < 3; i++) {
        await c.pull('/r', join(host, `shrink-${i}`)).catch((e: unknown) => {
          assert.ok(!(e instanceof SocketCommunicationError), String(e))
          assert.ok(e instanceof ContainerError && e.code === 'CONTAINER_ERROR', String(e))
          assert.match(e.message, /changed while/)
          assert.match(e.message, /retry|again/)
          changed++
        })
      }
    } finally {
      await c.run('kill $(cat /tmp/writer)')
    }
  })

  it('the refused names in the error are capped, with the full count', async () => {
    const long = 'f'.repeat(200)
    await c.run(
      `mkdir -p /tmp/fifos && cd /tmp/fifos && i=0; while [ $i -lt 2000 ]; do mkfifo ${long}$i; i=$((i+1)); done`,
    )
    await assert.rejects(c.pull('/tmp/fifos', join(host, 'fifos')), (e: unknown) => {
      assert.ok(e instanceof ContainerError, String(e))
      assert.ok(e.message.length < 8192, `a ${e.message.length}-character message`)
      assert.match(e.message, /refused 2000 entries/)
      assert.match(e.message, /and 1980 more/)
      return true
    })
  })
})

describe('push of special files', () => {
  let c: AsyncContainer
  let host: string
  before(async () => {
    c = await newContainer()
    host = mkdtempSync(join(tmpdir(), 'pd-special-'))
  })
  after(async () => {
    await c.shutdown({ force: true })
    rmSync(host, { recursive: true, force: true })
  })

  /** Rejects with a TypeError naming `path`, long before any engine timeout. */
  async function refusedNaming(call: Promise<void>, path: string): Promise<void> {
    const guard = new Promise((_, reject) => setTimeout(() => reject(new Error('push hung')), 20_000).unref())
    await assert.rejects(Promise.race([call, guard]), (e: unknown) => {
      assert.ok(e instanceof TypeError, String(e))
      assert.equal((e as { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
      assert.ok(e.message.includes(path), e.message)
      return true
    })
  }

  it('a FIFO, /dev/zero or a FIFO inside a directory is a TypeError naming it, before the engine', async () => {
    const fifo = join(host, 'fifo')
    execFileSync('mkfifo', [fifo])
    await refusedNaming(c.push(fifo, '/tmp/fifo'), fifo)
    await refusedNaming(c.push('/dev/zero', '/tmp/zero'), '/dev/zero')
    const tree = join(host, 'tree')
    mkdirSync(join(tree, 'deep'), { recursive: true })
    writeFileSync(join(tree, 'ok.txt'), 'ok\n')
    execFileSync('mkfifo', [join(tree, 'deep/pipe')])
    await refusedNaming(c.push(tree, '/tmp/tree'), join(tree, 'deep/pipe'))
    assert.equal((await c.run('ls /tmp/fifo /tmp/zero /tmp/tree')).exitCode, 1) // nothing arrived
  })
})
