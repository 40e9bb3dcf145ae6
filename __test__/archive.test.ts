// Moving images as tar archives through the public API, on the real engine:
// export → remove → import round trips (plain and gzip, to and from paths and
// Node streams, async and sync) with a file's checksum compared inside the
// image; bad destinations and sources refused before the engine is called,
// leaving nothing behind (a FIFO, symlink or device is never replaced); aborts
// of stalled exports and imports; truncated and garbage archives as
// TypeErrors; and flat memory for a 1 GiB image moved out and back, plain and
// as a gzip that inflates a thousandfold.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  readSync,
  closeSync,
  constants,
  lstatSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { Writable } from 'node:stream'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  AbortError,
  ImageNotFound,
  buildImage,
  createNewContainer,
  exportImages,
  importImages,
  removeImage,
  type ProgressEvent,
} from 'pocket-dock'
import * as sync from 'pocket-dock/sync'
import { IMAGE, makeDir, socketPath } from './helpers'

const id = randomBytes(3).toString('hex')
const TAG = `pocket-dock-test/archive-${id}:1`
const BIG = `pocket-dock-test/archive-big-${id}:1`
/** A socket path nothing listens on: a call that reaches for the engine fails with SocketConnectionError. */
const NO_ENGINE = join(tmpdir(), `pd-no-engine-${id}.sock`)
const label = { 'pocket-dock-test': 'js' }
const work = mkdtempSync(join(tmpdir(), 'pd-archive-'))
let checksum = ''

async function build(tag: string, dockerfile: string): Promise<void> {
  const context = makeDir({ Dockerfile: dockerfile })
  try {
    await buildImage({ context, tag, socketPath })
  } finally {
    rmSync(context, { recursive: true, force: true })
  }
}

/** The checksum line of /payload inside a container of `image`. */
async function payloadSum(image: string): Promise<string> {
  await using c = await createNewContainer({ image, socketPath, labels: label })
  return (await c.run('sha256sum /payload')).stdout.trim()
}

function firstBytes(file: string, n: number): Buffer {
  const fd = openSync(file, 'r')
  try {
    const b = Buffer.alloc(n)
    readSync(fd, b, 0, n, 0)
    return b
  } finally {
    closeSync(fd)
  }
}

before(async () => {
  await build(TAG, `FROM ${IMAGE}\nRUN head -c 2000000 /dev/urandom > /payload\n`)
  checksum = await payloadSum(TAG)
})
after(async () => {
  for (const t of [TAG, BIG]) await removeImage(t, { socketPath, force: true }).catch(() => {})
  rmSync(work, { recursive: true, force: true })
})

/** Asserts the image came back: the tag was reported and the payload is byte for byte the same. */
async function cameBack(tags: string[]): Promise<void> {
  assert.ok(
    tags.some((t) => t.endsWith(TAG)),
    `loaded ${JSON.stringify(tags)}`,
  )
  assert.equal(await payloadSum(TAG), checksum)
}

describe('exportImages / importImages', () => {
  for (const gzip of [false, true]) {
    it(`a ${gzip ? 'gzip' : 'plain'} archive at a path survives remove and import, with byte progress`, async () => {
      const dir = mkdtempSync(join(work, 'path-'))
      const file = join(dir, gzip ? 'image.tar.gz' : 'image.tar')
      const exported: ProgressEvent[] = []
      await exportImages([TAG], file, { socketPath, gzip, onProgress: (e) => exported.push(e) })
      assert.deepEqual(readdirSync(dir), [gzip ? 'image.tar.gz' : 'image.tar'], 'only the archive, no partial file')
      const magic = firstBytes(file, 2)
      assert.equal(magic.equals(Buffer.from([0x1f, 0x8b])), gzip, 'gzip only when asked')
      const done = exported.map((e) => (e.kind === 'bytes' ? e.done : -1))
      assert.ok(done.length > 0 && done.every((d, i) => d > (done[i - 1] ?? 0)), 'bytes done only grow')
      await removeImage(TAG, { socketPath, force: true })
      const imported: ProgressEvent[] = []
      const tags = await importImages(file, { socketPath, onProgress: (e) => imported.push(e) })
      const last = imported.at(-1)
      assert.ok(
        last?.kind === 'bytes' && last.done === last.total && last.total === readFileSync(file).length,
        JSON.stringify(last),
      )
      await cameBack(tags)
    })
  }

  it('through Node streams: export into a Writable, import from a Readable', async () => {
    const file = join(work, 'streamed.tar')
    let progress = 0
    await exportImages([TAG], createWriteStream(file), { socketPath, onProgress: () => progress++ })
    assert.ok(progress > 0)
    await removeImage(TAG, { socketPath, force: true })
    await cameBack(await importImages(createReadStream(file), { socketPath }))
  })

  it('the sync facade: export and import by path; streams and signals are refused', () => {
    const file = join(work, 'sync.tar.gz')
    let events = 0
    sync.exportImages([TAG], file, { socketPath, gzip: true, onProgress: () => events++ })
    assert.ok(events > 0)
    sync.removeImage(TAG, { socketPath, force: true })
    const tags = sync.importImages(file, { socketPath })
    assert.ok(
      tags.some((t) => t.endsWith(TAG)),
      JSON.stringify(tags),
    )
    assert.throws(
      () => sync.exportImages([TAG], createWriteStream(join(work, 'x')) as never, { socketPath }),
      TypeError,
    )
    assert.throws(() => sync.importImages(createReadStream(file) as never, { socketPath }), TypeError)
  })

  it('bad destinations and sources are typed errors that leave nothing behind', async () => {
    const dir = mkdtempSync(join(work, 'bad-'))
    const cases: [string, () => Promise<unknown>, (e: Error) => boolean][] = [
      ['no images', () => exportImages([], join(dir, 'a.tar'), { socketPath }), (e) => e instanceof TypeError],
      [
        'an invalid reference',
        () => exportImages(['Not Valid'], join(dir, 'a.tar'), { socketPath }),
        (e) => e instanceof TypeError,
      ],
      [
        'a missing image',
        () => exportImages([`pocket-dock-test/none-${id}:1`], join(dir, 'a.tar'), { socketPath }),
        (e) => e instanceof ImageNotFound,
      ],
      [
        'a directory that does not exist',
        () => exportImages([TAG], join(dir, 'no/such/a.tar'), { socketPath }),
        (e) => e instanceof TypeError && /cannot write/.test(e.message),
      ],
      [
        'a destination that is a directory',
        () => exportImages([TAG], dir, { socketPath }),
        (e) => e instanceof TypeError && /is a directory/.test(e.message),
      ],
      [
        'a destination of the wrong type',
        () => exportImages([TAG], 42 as never, { socketPath }),
        (e) => e instanceof TypeError,
      ],
      [
        'a missing archive',
        () => importImages(join(dir, 'none.tar'), { socketPath }),
        (e) => e instanceof TypeError && /cannot read/.test(e.message),
      ],
      ['a source of the wrong type', () => importImages({} as never, { socketPath }), (e) => e instanceof TypeError],
    ]
    for (const [what, call, check] of cases) {
      await assert.rejects(call(), (e: Error) => {
        assert.ok(check(e), `${what}: ${e}`)
        return true
      })
    }
    const readOnly = join(dir, 'ro')
    mkdirSync(readOnly, { mode: 0o500 })
    if (process.getuid?.() !== 0) {
      await assert.rejects(exportImages([TAG], join(readOnly, 'a.tar'), { socketPath }), TypeError)
    }
    writeFileSync(join(dir, 'garbage.tar'), randomBytes(100_000))
    await assert.rejects(importImages(join(dir, 'garbage.tar'), { socketPath }), (e: Error) => {
      assert.ok(e instanceof TypeError, String(e))
      assert.match(e.message, /not a valid image archive/)
      return true
    })
    assert.deepEqual(readdirSync(dir).sort(), ['garbage.tar', 'ro'], 'no half-written archive anywhere')
  })

  it('an onProgress that throws is reported as a warning, and the export goes on', async () => {
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`)
    process.on('warning', onWarning)
    try {
      const file = join(work, 'throwing.tar')
      await exportImages([TAG], file, {
        socketPath,
        onProgress: () => {
          throw new Error('callback bug')
        },
      })
      assert.ok(readFileSync(file).length > 2_000_000)
      await new Promise((r) => setImmediate(r))
      assert.ok(
        warnings.some((w) => w.startsWith('PocketDockCallbackWarning') && w.includes('callback bug')),
        JSON.stringify(warnings),
      )
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('an aborted export rejects with AbortError and leaves no file', async () => {
    const dir = mkdtempSync(join(work, 'abort-'))
    const ac = new AbortController()
    await assert.rejects(
      exportImages([TAG], join(dir, 'a.tar'), { socketPath, signal: ac.signal, onProgress: () => ac.abort() }),
      AbortError,
    )
    await assert.rejects(
      exportImages([TAG], join(dir, 'b.tar'), { socketPath, signal: AbortSignal.abort() }),
      AbortError,
    )
    assert.deepEqual(readdirSync(dir), [])
  })

  it('a 1 GiB image moves out and back in, plain and gzip, with less than 64 MiB of RSS growth', async () => {
    const t0 = performance.now()
    await build(BIG, `FROM ${IMAGE}\nRUN head -c 1073741824 /dev/zero > /big\n`)
    console.log(`built in ${Math.round(performance.now() - t0) / 1000} s`)
    const dir = mkdtempSync(join(work, 'big-'))
    const out = execFileSync(
      process.execPath,
      [join(__dirname, 'fixtures/image-archive-rss.mjs'), socketPath ?? '', BIG, dir],
      {
        encoding: 'utf8',
        timeout: 600_000,
      },
    )
    console.log(out.trim())
    const r = JSON.parse(out.trim().split('\n').pop()!) as {
      bytes: number
      gzipBytes: number
      exportGrewMiB: number
      importGrewMiB: number
      gzipImportGrewMiB: number
      tags: string[]
      gzipTags: string[]
    }
    assert.ok(r.bytes > 2 ** 30, `archive of ${r.bytes} bytes`)
    assert.ok(r.gzipBytes < 2 ** 30 / 100, `gzip archive of ${r.gzipBytes} bytes`)
    for (const tags of [r.tags, r.gzipTags]) {
      assert.ok(
        tags.some((t) => t.endsWith(BIG)),
        JSON.stringify(tags),
      )
    }
    assert.ok(r.exportGrewMiB < 64, `export grew RSS by ${r.exportGrewMiB.toFixed(1)} MiB`)
    assert.ok(r.importGrewMiB < 64, `import grew RSS by ${r.importGrewMiB.toFixed(1)} MiB`)
    assert.ok(r.gzipImportGrewMiB < 64, `gzip import grew RSS by ${r.gzipImportGrewMiB.toFixed(1)} MiB`)
  })

  it('input is judged before the engine is reached: TypeError, not SocketConnectionError', async () => {
    const dir = mkdtempSync(join(work, 'judged-'))
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    const ended = new Writable({ write: (_c, _e, cb) => cb() })
    ended.end()
    const destroyed = new Writable({ write: (_c, _e, cb) => cb() })
    destroyed.destroy()
    const opts = { socketPath: NO_ENGINE }
    const cases: [string, () => Promise<unknown>][] = [
      ['no images', () => exportImages([], join(dir, 'a.tar'), opts)],
      ['an invalid reference', () => exportImages(['Not Valid'], join(dir, 'a.tar'), opts)],
      ['a directory that does not exist', () => exportImages([TAG], join(dir, 'no/such/a.tar'), opts)],
      ['a destination that is a directory', () => exportImages([TAG], dir, opts)],
      ['a FIFO destination', () => exportImages([TAG], fifo, opts)],
      ['/dev/null', () => exportImages([TAG], '/dev/null', opts)],
      ['an ended Writable', () => exportImages([TAG], ended, opts)],
      ['a destroyed Writable', () => exportImages([TAG], destroyed, opts)],
      [
        'an invalid reference to a stream',
        () => exportImages(['Not Valid'], new Writable({ write: (_c, _e, cb) => cb() }), opts),
      ],
      ['no images to a stream', () => exportImages([], new Writable({ write: (_c, _e, cb) => cb() }), opts)],
      ['a missing archive', () => importImages(join(dir, 'none.tar'), opts)],
      ['an archive that is a directory', () => importImages(dir, opts)],
    ]
    for (const [what, call] of cases) {
      await assert.rejects(call(), (e: Error) => {
        assert.ok(e instanceof TypeError, `${what}: ${e}`)
        return true
      })
    }
    assert.throws(() => sync.exportImages([TAG], '/dev/null', opts), TypeError)
    assert.throws(() => sync.importImages(join(dir, 'none.tar'), opts), TypeError)
    assert.ok(statSync('/dev/null').isCharacterDevice())
    assert.deepEqual(readdirSync(dir), ['fifo'])
  })

  it('an existing FIFO, symlink or other non-regular destination is refused and left as it was', async () => {
    const dir = mkdtempSync(join(work, 'nonregular-'))
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    writeFileSync(join(dir, 'target'), 'keep me')
    const link = join(dir, 'link')
    symlinkSync(join(dir, 'target'), link)
    for (const dest of [fifo, link]) {
      await assert.rejects(exportImages([TAG], dest, { socketPath }), (e: Error) => {
        assert.ok(e instanceof TypeError, `${dest}: ${e}`)
        assert.match(e.message, /not a regular file/)
        return true
      })
    }
    assert.throws(() => sync.exportImages([TAG], fifo, { socketPath }), TypeError)
    assert.ok(lstatSync(fifo).isFIFO(), 'the FIFO is still a FIFO')
    assert.ok(lstatSync(link).isSymbolicLink(), 'the symlink is still a symlink')
    assert.equal(readlinkSync(link), join(dir, 'target'))
    assert.equal(readFileSync(join(dir, 'target'), 'utf8'), 'keep me')
    assert.deepEqual(readdirSync(dir).sort(), ['fifo', 'link', 'target'], 'no partial file')
  })

  it('a signal aborts an export into a Writable that never drains', async () => {
    const stalled = new Writable({ highWaterMark: 1024, write: () => {} })
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(), 2000)
    try {
      await withinSeconds(
        120,
        assert.rejects(exportImages([TAG], stalled, { socketPath, signal: ac.signal }), AbortError),
      )
    } finally {
      clearTimeout(timer)
    }
  })

  it('a signal aborts an import from a FIFO that no one writes', async () => {
    const dir = mkdtempSync(join(work, 'fifo-in-'))
    const fifo = join(dir, 'archive.tar')
    execFileSync('mkfifo', [fifo])
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(), 1000)
    try {
      await withinSeconds(60, assert.rejects(importImages(fifo, { socketPath, signal: ac.signal }), AbortError))
    } finally {
      clearTimeout(timer)
      // Releases an open still waiting for a writer, whatever happened.
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK))
      } catch {
        // No reader waits: nothing to release.
      }
    }
  })

  it('the sync facade: an onProgress that throws is a warning, and the export and import go on', async () => {
    const dir = mkdtempSync(join(work, 'sync-throw-'))
    const file = join(dir, 'a.tar')
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`)
    process.on('warning', onWarning)
    const onProgress = () => {
      throw new Error('sync callback bug')
    }
    try {
      sync.exportImages([TAG], file, { socketPath, onProgress })
      assert.deepEqual(readdirSync(dir), ['a.tar'], 'the archive, and no partial file')
      assert.ok(statSync(file).size > 2_000_000)
      const tags = sync.importImages(file, { socketPath, onProgress })
      assert.ok(
        tags.some((t) => t.endsWith(TAG)),
        JSON.stringify(tags),
      )
      await new Promise((r) => setImmediate(r))
      assert.ok(
        warnings.some((w) => w.startsWith('PocketDockCallbackWarning') && w.includes('sync callback bug')),
        JSON.stringify(warnings),
      )
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('a gzip archive whose first chunks hold fewer than two bytes is still recognised', async () => {
    const file = join(work, 'split.tar.gz')
    await exportImages([TAG], file, { socketPath, gzip: true })
    const gz = readFileSync(file)
    await removeImage(TAG, { socketPath, force: true })
    async function* split() {
      yield new Uint8Array(0)
      yield gz.subarray(0, 1)
      yield new Uint8Array(0)
      yield gz.subarray(1, 2)
      yield gz.subarray(2)
    }
    await cameBack(await importImages(split(), { socketPath }))
  })

  it('truncated and garbage archives are TypeErrors saying the archive is not valid', async () => {
    const dir = mkdtempSync(join(work, 'truncated-'))
    const gzFile = join(dir, 'a.tar.gz')
    const tarFile = join(dir, 'a.tar')
    await exportImages([TAG], gzFile, { socketPath, gzip: true })
    await exportImages([TAG], tarFile, { socketPath })
    const gz = readFileSync(gzFile)
    const tar = readFileSync(tarFile)
    const bad: [string, Buffer][] = [
      ['half a gzip archive', gz.subarray(0, gz.length >> 1)],
      ['a gzip header then garbage', Buffer.concat([gz.subarray(0, 10), randomBytes(50_000)])],
      ['half a plain archive', tar.subarray(0, tar.length >> 1)],
      ['garbage', randomBytes(50_000)],
    ]
    for (const [what, bytes] of bad) {
      const path = join(dir, 'bad')
      writeFileSync(path, bytes)
      await withinSeconds(
        120,
        assert.rejects(importImages(path, { socketPath }), (e: Error) => {
          assert.ok(e instanceof TypeError, `${what}: ${e}`)
          assert.match(e.message, /not a valid image archive/, what)
          return true
        }),
      )
    }
  })

  it('a stream of chunks that are not bytes is a clear TypeError', async () => {
    async function* objects() {
      yield { not: 'bytes' }
    }
    await assert.rejects(importImages(objects() as never, { socketPath }), (e: Error) => {
      assert.ok(e instanceof TypeError, String(e))
      assert.match(e.message, /yielded object; it must yield bytes/)
      return true
    })
  })
})

/** `p`, or a failure if it has not settled within `seconds` (a hang guard). */
async function withinSeconds<T>(seconds: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${seconds} s: it hangs`)), seconds * 1000)
  })
  try {
    return await Promise.race([p, guard])
  } finally {
    clearTimeout(timer)
  }
}
