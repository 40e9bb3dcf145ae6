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

/**
 * Builds the Dockerfile of `context` into image `tag` through the engine's
 * build API; resolves with the image id. The context is streamed as a tar
 * (never whole in memory), its `.dockerignore` honoured, symlinks and modes
 * kept. A failing step rejects with `ImageBuildError` (its `step`,
 * `instruction` and `logTail`); an abort stops the build on the engine.
 */
export async function buildImage(opts: BuildImageOptions): Promise<string> {
  checkObject(opts, 'buildImage(opts)')
  checkString(opts.context, 'buildImage(opts): opts.context')
  checkString(opts.tag, 'buildImage(opts): opts.tag')
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
  if (opts.auth !== undefined) checkObject(opts.auth, 'pullImage(ref, opts): opts.auth')
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
      await pipeline(chunks, dest)
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
      for await (const chunk of src as AsyncIterable<Uint8Array | string>) {
        const bytes =
          typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
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

function isWritable(x: unknown): x is Writable {
  return (
    x !== null &&
    typeof x === 'object' &&
    typeof (x as Writable).write === 'function' &&
    typeof (x as Writable).on === 'function'
  )
}
