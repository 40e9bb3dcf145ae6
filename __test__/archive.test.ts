// Moving images as tar archives through the public API, on the real engine:
// export → remove → import round trips (plain and gzip, to and from paths and
// Node streams, async and sync) with a file's checksum compared inside the
// image; bad destinations and sources refused before the engine is called,
// leaving nothing behind; and flat memory for a 256 MiB image.
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
  rmSync,
  writeFileSync,
} from 'node:fs'
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
      assert.match(e.message, /not an image archive/)
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

  it('a 256 MiB image moves out and back in with less than 64 MiB of RSS growth', async () => {
    await build(BIG, `FROM ${IMAGE}\nRUN head -c 268435456 /dev/urandom > /big\n`)
    const dir = mkdtempSync(join(work, 'big-'))
    const out = execFileSync(
      process.execPath,
      [join(__dirname, 'fixtures/image-archive-rss.mjs'), socketPath ?? '', BIG, dir],
      {
        encoding: 'utf8',
        timeout: 300_000,
      },
    )
    const r = JSON.parse(out.trim().split('\n').pop()!) as {
      bytes: number
      exportGrewMiB: number
      importGrewMiB: number
      tags: string[]
    }
    assert.ok(r.bytes > 256 * 2 ** 20, `archive of ${r.bytes} bytes`)
    assert.ok(
      r.tags.some((t) => t.endsWith(BIG)),
      JSON.stringify(r.tags),
    )
    assert.ok(r.exportGrewMiB < 64, `export grew RSS by ${r.exportGrewMiB.toFixed(1)} MiB`)
    assert.ok(r.importGrewMiB < 64, `import grew RSS by ${r.importGrewMiB.toFixed(1)} MiB`)
  })
})
