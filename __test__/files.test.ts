// Files: write, read and list through the engine's archive API and argv-only
// execs; typed errors for missing paths, TypeError for relative ones.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ContainerError, FileNotFound, IsADirectory, NotADirectory, type AsyncContainer } from 'pocket-dock'
import { IMAGE, newContainer, socketPath } from './helpers'

describe('files', () => {
  let c: AsyncContainer
  before(async () => {
    c = await newContainer()
  })
  after(async () => {
    await c.shutdown({ force: true })
  })

  it('writeFile then readFile round-trips text and bytes', async () => {
    await c.writeFile('/home/sandbox/app.py', 'print(1)\n')
    const text = await c.readFile('/home/sandbox/app.py')
    assert.ok(Buffer.isBuffer(text))
    assert.equal(text.toString(), 'print(1)\n')
    assert.equal((await c.run('cat /home/sandbox/app.py')).stdout, 'print(1)\n')
    const bytes = new Uint8Array(256).map((_, i) => i)
    await c.writeFile('/tmp/bytes.bin', bytes)
    assert.deepEqual(new Uint8Array(await c.readFile('/tmp/bytes.bin')), bytes)
    assert.equal((await c.run('stat -c %a /tmp/bytes.bin')).stdout.trim(), '644')
  })

  it('writeFile creates missing directories, on both engines alike', async () => {
    await c.writeFile('/tmp/a/b/c/deep.txt', 'deep')
    assert.equal((await c.readFile('/tmp/a/b/c/deep.txt')).toString(), 'deep')
  })

  it('a file bigger than a tar block and with multi-byte text survives', async () => {
    const big = 'héllo wörld €\n'.repeat(50_000)
    await c.writeFile('/tmp/big.txt', big)
    assert.equal((await c.readFile('/tmp/big.txt')).toString(), big)
    assert.equal((await c.run('wc -c < /tmp/big.txt')).stdout.trim(), String(Buffer.byteLength(big)))
  })

  it('listFiles lists names with spaces, quotes and newlines; directories end in /', async () => {
    await c.run('mkdir -p /tmp/list/sub && cd /tmp/list && touch "a b" "q\'uote" "$(printf "new\\nline")" .hidden')
    assert.deepEqual(await c.listFiles('/tmp/list'), ['.hidden', 'a b', 'new\nline', "q'uote", 'sub/'])
    assert.deepEqual(await c.listFiles('/tmp/list/sub'), [])
    await c.writeFile('/home/sandbox/listed.txt', 'x')
    assert.ok((await c.listFiles()).includes('listed.txt'))
  })

  it('a path given to listFiles is never run as shell', async () => {
    await assert.rejects(c.listFiles('/tmp/$(touch /tmp/pwned)'), FileNotFound)
    assert.equal((await c.run('test -e /tmp/pwned')).exitCode, 1)
  })

  it('missing paths reject with FileNotFound (code ENOENT) naming the path', async () => {
    for (const call of [() => c.readFile('/tmp/nope.txt'), () => c.listFiles('/tmp/nope-dir')]) {
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(e instanceof FileNotFound && e instanceof ContainerError)
        assert.equal(e.code, 'ENOENT')
        assert.match(e.path, /^\/tmp\/nope/)
        assert.match(e.message, /\/tmp\/nope/)
        return true
      })
    }
  })

  it('relative paths are a TypeError before any engine call', async () => {
    await assert.rejects(c.writeFile('app.py', 'x'), TypeError)
    await assert.rejects(c.readFile('tmp/x'), TypeError)
    await assert.rejects(c.listFiles('tmp'), TypeError)
  })

  it('readFile of a directory is IsADirectory (EISDIR); listFiles of a file is NotADirectory (ENOTDIR)', async () => {
    await assert.rejects(c.readFile('/tmp'), (e: unknown) => {
      assert.ok(e instanceof IsADirectory && e instanceof ContainerError)
      assert.equal(e.code, 'EISDIR')
      assert.equal(e.path, '/tmp')
      return true
    })
    await c.writeFile('/tmp/plain.txt', 'x')
    await assert.rejects(c.listFiles('/tmp/plain.txt'), (e: unknown) => {
      assert.ok(e instanceof NotADirectory && e instanceof ContainerError)
      assert.equal(e.code, 'ENOTDIR')
      assert.equal(e.path, '/tmp/plain.txt')
      assert.match(e.message, /\/tmp\/plain\.txt/)
      return true
    })
  })

  it('writeFile over a directory is IsADirectory and the tree stays', async () => {
    await c.run('mkdir -p /tmp/tree/sub && echo kept > /tmp/tree/sub/f.txt')
    await assert.rejects(c.writeFile('/tmp/tree', 'data'), (e: unknown) => {
      assert.ok(e instanceof IsADirectory)
      assert.equal(e.code, 'EISDIR')
      assert.equal(e.path, '/tmp/tree')
      return true
    })
    assert.equal((await c.run('cat /tmp/tree/sub/f.txt')).stdout, 'kept\n')
    await assert.rejects(c.writeFile('/tmp/tree/', 'data'), IsADirectory)
    assert.equal((await c.run('cat /tmp/tree/sub/f.txt')).stdout, 'kept\n')
  })

  it('readFile refuses a directory holding a big file, and /, without buffering them; a file costs ~1x its size', () => {
    // In a child process, so its peak RSS is readFile's alone.
    const size = 256 << 20
    const out = execFileSync(
      process.execPath,
      [join(__dirname, 'fixtures/read-file-rss.mjs'), socketPath ?? '', IMAGE, String(size)],
      { encoding: 'utf8', timeout: 300_000 },
    )
    const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, string | number>
    assert.equal(r.dir, 'EISDIR')
    assert.equal(r.root, 'EISDIR')
    assert.equal(r.file, `read ${size}`)
    assert.ok((r.dirGrewMiB as number) < 64, `refusing the directory grew RSS by ${r.dirGrewMiB} MiB`)
    assert.ok((r.rootGrewMiB as number) < 64, `refusing / grew RSS by ${r.rootGrewMiB} MiB`)
    assert.ok((r.fileGrewMiB as number) < 1.5 * 256, `reading 256 MiB grew RSS by ${r.fileGrewMiB} MiB`)
    assert.ok((r.dirMs as number) < (r.fileMs as number), `refusal took ${r.dirMs} ms, the read ${r.fileMs} ms`)
  })
})
