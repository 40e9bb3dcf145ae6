// push and pull of files and directories: modes and symlinks kept, and a
// hostile container cannot make pull write outside its destination.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ContainerError, FileNotFound, type AsyncContainer } from 'pocket-dock'
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
