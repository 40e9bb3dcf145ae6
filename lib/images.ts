/**
 * Images, async: build (a directory or a profile), pull, list, remove, and
 * move them as tar archives (to and from a path or a Node stream) for
 * machines without a registry. Every long call reports typed progress and
 * stops on an `AbortSignal`.
 */
import { engineAddress } from './host'
import { pipeline } from 'node:stream/promises'
import type { Readable, Writable } from 'node:stream'
import * as native from '../binding.js'
import { CancelToken, type NativeImageDone, type NativeProgress } from '../binding.js'
import { AbortError, argTypeError, callNative } from './errors'
import { toImageInfo, toProgress } from './convert'
import { profileBuild } from './profiles'
import { checkFn, checkObject, checkSignal, checkString } from './validate'
import type {
  BuildImageOptions,
  BuildProfileOptions,
  ExportImagesOptions,
  ImageInfo,
  ListImagesOptions,
  ProgressEvent,
  ProgressOptions,
  PullImageOptions,
  RemoveImageOptions,
} from './types'

/**
 * Runs a long native call with the caller's `onProgress` and `signal`, and
 * settles only after the last progress event has been delivered (the call
 * says how many it sent).
 */
async function withProgress<T extends NativeImageDone>(
  what: string,
  opts: ProgressOptions,
  start: (
    token: CancelToken,
    onEvent: ((e: NativeProgress) => void) | undefined,
    onProgress: ((e: ProgressEvent) => void) | undefined,
  ) => Promise<T>,
): Promise<T> {
  const signal = checkSignal(opts.signal, what)
  const given = opts.onProgress === undefined ? undefined : checkFn(opts.onProgress)
  // A callback that throws must not end the process (it runs from a native
  // callback, where a throw is an uncaught exception): reported, and the
  // operation goes on, as the container's callbacks do.
  const onProgress =
    given &&
    ((e: ProgressEvent) => {
      try {
        given(e)
      } catch (err) {
        process.emitWarning(`pocket-dock: an onProgress callback threw: ${String(err)}`, 'PocketDockCallbackWarning')
      }
    })
  if (signal?.aborted) throw new AbortError(signal.reason)
  const token = new CancelToken()
  const abort = () => token.cancel()
  signal?.addEventListener('abort', abort, { once: true })
  let seen = 0
  let wake: (() => void) | undefined
  const onEvent =
    onProgress &&
    ((e: NativeProgress) => {
      seen++
      onProgress(toProgress(e))
      wake?.()
    })
  try {
    const done = await callNative(() => start(token, onEvent, onProgress))
    while (seen < done.events) await new Promise<void>((resolve) => (wake = resolve))
    return done
  } catch (err) {
    if (signal?.aborted) throw new AbortError(signal.reason)
    throw err
  } finally {
    signal?.removeEventListener('abort', abort)
  }
}

/** `buildArgs` and `labels`: a plain object of strings, or nothing. */
function checkStringRecord(value: unknown, what: string): void {
  if (value === undefined) return
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw argTypeError(`${what} must be an object of strings, got ${value === null ? 'null' : typeof value}`)
  for (const [k, v] of Object.entries(value))
    if (typeof v !== 'string') throw argTypeError(`${what}[${JSON.stringify(k)}] must be a string, got ${typeof v}`)
}

/** The shape of `buildImage` options (the async and sync API share it). */
export function checkBuildOptions(opts: BuildImageOptions, what: string): void {
  checkObject(opts, what)
  checkString(opts.context, `${what}: opts.context`)
  checkString(opts.tag, `${what}: opts.tag`)
  if (opts.dockerfile !== undefined) checkString(opts.dockerfile, `${what}: opts.dockerfile`)
  checkStringRecord(opts.buildArgs, `${what}: opts.buildArgs`)
  checkStringRecord(opts.labels, `${what}: opts.labels`)
}

/** The shape of `pullImage` options' `auth`: a non-empty username and a password, both strings. */
export function checkAuth(auth: unknown, what: string): void {
  if (auth === undefined) return
  checkObject(auth, `${what}: opts.auth`)
  const { username, password } = auth as { username?: unknown; password?: unknown }
  if (typeof username !== 'string' || username === '')
    throw argTypeError(`${what}: opts.auth.username must be a non-empty string: pass auth: { username, password }`)
  if (typeof password !== 'string') throw argTypeError(`${what}: opts.auth.password must be a string`)
}

/**
 * Builds the Dockerfile of `context` into image `tag` through the engine's
 * build API; resolves with the image id. The context is streamed as a tar
 * (never whole in memory), its `.dockerignore` honoured, symlinks and modes
 * kept. A failing step rejects with `ImageBuildError` (its `step`,
 * `instruction` and `logTail`); an abort stops the build on the engine.
 */
export async function buildImage(opts: BuildImageOptions): Promise<string> {
  checkBuildOptions(opts, 'buildImage(opts)')
  const { context, dockerfile, tag, buildArgs, noCache, labels } = opts
  const socketPath = engineAddress(opts)
  const done = await withProgress('buildImage(opts)', opts, (token, onEvent) =>
    native.buildImage({ context, dockerfile, tag, buildArgs, noCache, labels, socketPath }, token, onEvent),
  )
  return done.id ?? ''
}

/** Builds profile `name` into its image (`pocket-dock/<name>`); resolves with the image id. */
export async function buildProfile(name: string, opts: BuildProfileOptions = {}): Promise<string> {
  checkObject(opts, 'buildProfile(name, opts)')
  return buildImage({ ...opts, ...profileBuild(name, opts.buildArgs) })
}

/**
 * Pulls `ref` through the engine, with per-layer progress; resolves with the
 * image id. A registry on a loopback address is reached over plain HTTP on
 * both engines. An unreachable registry rejects with `ImagePullError`; a
 * missing image or tag with `ImageNotFound`.
 */
export async function pullImage(ref: string, opts: PullImageOptions = {}): Promise<string> {
  checkString(ref, 'pullImage(ref): ref')
  checkObject(opts, 'pullImage(ref, opts)')
  checkAuth(opts.auth, 'pullImage(ref, opts)')
  const { auth, tlsVerify } = opts
  const socketPath = engineAddress(opts)
  const done = await withProgress('pullImage(ref, opts)', opts, (token, onEvent) =>
    native.pullImage(
      ref,
      { username: auth?.username, password: auth?.password, tlsVerify, socketPath },
      token,
      onEvent,
    ),
  )
  return done.id ?? ''
}

/** pocket-dock's images (built, committed, the profiles'), newest first; every image with `all`. */
export async function listImages(opts: ListImagesOptions = {}): Promise<ImageInfo[]> {
  checkObject(opts, 'listImages(opts)')
  return (await callNative(() => native.listImages(engineAddress(opts), opts.all))).map(toImageInfo)
}

/** Removes an image by name or id (`force`: even if containers use it). */
export async function removeImage(ref: string, opts: RemoveImageOptions = {}): Promise<void> {
  checkString(ref, 'removeImage(ref): ref')
  checkObject(opts, 'removeImage(ref, opts)')
  await callNative(() => native.removeImage(ref, opts.force, engineAddress(opts)))
}

/**
 * Writes the images `refs` as one archive (`docker save` format; gzip'd with
 * `gzip`) to the file `dest` — which appears only once complete — or into a
 * `Writable`, which is ended at the end as `stream.pipeline` does. Streamed
 * either way: memory stays flat however big the images.
 */
export async function exportImages(
  refs: string[],
  dest: string | Writable,
  opts: ExportImagesOptions = {},
): Promise<void> {
  checkObject(opts, 'exportImages(refs, dest, opts)')
  if (!Array.isArray(refs)) throw argTypeError('exportImages(refs): refs must be an array of image references')
  refs.forEach((r) => checkString(r, 'exportImages(refs): each ref'))
  const { gzip } = opts
  const socketPath = engineAddress(opts)
  if (typeof dest === 'string') {
    await withProgress('exportImages(refs, dest, opts)', opts, (token, onEvent) =>
      native.exportImages(refs, dest, gzip, socketPath, token, onEvent),
    )
    return
  }
  if (!isWritable(dest)) throw argTypeError('exportImages(refs, dest): dest must be a path or a Writable stream')
  if (dest.destroyed || dest.writableEnded || dest.writable === false) {
    throw argTypeError(
      'exportImages(refs, dest): dest is a Writable that is already ended or destroyed; pass an open stream',
    )
  }
  const signal = opts.signal
  await withProgress('exportImages(refs, dest, opts)', opts, async (token, _native, onProgress) => {
    const source = await native.exportImagesStream(refs, gzip, socketPath, token)
    let done = 0
    async function* chunks() {
      for (;;) {
        const chunk = await callNative(() => source.next())
        if (!chunk) return
        done += chunk.length
        yield chunk
        onProgress?.({ kind: 'bytes', done })
      }
    }
    try {
      // The signal goes to the pipeline too: a destination that never
      // drains would otherwise hold the export forever.
      await (signal ? pipeline(chunks, dest, { signal }) : pipeline(chunks, dest))
    } finally {
      // Stops the engine's side if the destination failed first.
      token.cancel()
    }
    return { events: 0 }
  })
}

/**
 * Loads the images of an archive (from `exportImages` or `docker save`,
 * plain or gzip'd) from the file `src` or a `Readable`; resolves with the
 * tags loaded (an untagged image by its id).
 */
export async function importImages(
  src: string | Readable | AsyncIterable<Uint8Array>,
  opts: ProgressOptions = {},
): Promise<string[]> {
  checkObject(opts, 'importImages(src, opts)')
  const socketPath = engineAddress(opts)
  if (typeof src === 'string') {
    const done = await withProgress('importImages(src, opts)', opts, (token, onEvent) =>
      native.importImages(src, socketPath, token, onEvent),
    )
    return done.tags ?? []
  }
  if (src === null || typeof (src as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== 'function') {
    throw argTypeError('importImages(src): src must be a path, a Readable stream or an async iterable of bytes')
  }
  const done = await withProgress('importImages(src, opts)', opts, async (token, _native, onProgress) => {
    const sink = await native.importImagesStream(socketPath, token)
    let sent = 0
    try {
      for await (const chunk of src as AsyncIterable<unknown>) {
        const bytes = chunkBytes(chunk)
        await callNative(() => sink.write(bytes))
        sent += bytes.length
        onProgress?.({ kind: 'bytes', done: sent })
      }
    } catch (err) {
      token.cancel()
      await sink.end().catch(() => {})
      throw err
    }
    return { tags: await callNative(() => sink.end()), events: 0 }
  })
  return done.tags ?? []
}

/** A chunk of an import stream as a Buffer; anything but bytes or a string is a TypeError. */
function chunkBytes(chunk: unknown): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk)
  if (ArrayBuffer.isView(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  const what = chunk === null ? 'null' : Array.isArray(chunk) ? 'an array' : typeof chunk
  throw argTypeError(
    `importImages(src): the stream yielded ${what}; it must yield bytes (Buffer or Uint8Array) or strings — is it in object mode?`,
  )
}

function isWritable(x: unknown): x is Writable {
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof (x as Writable).write === 'function' &&
    typeof (x as Writable).on === 'function'
  )
}
