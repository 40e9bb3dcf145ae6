/**
 * Images, blocking: the same operations as `lib/images.ts`, to and from
 * paths. `onProgress` is called on this thread while the call blocks; an
 * `AbortSignal` cannot fire while the thread is blocked, so `signal` is
 * refused, and so are stream sources and destinations (use the async API).
 */
import { engineAddress } from '../host'
import * as native from '../../binding.js'
import { argTypeError, callNativeSync } from '../errors'
import { toImageInfo, toProgress } from '../convert'
import { checkAuth, checkBuildOptions } from '../images'
import { profileBuild } from '../profiles'
import { checkFn, checkObject, checkString } from '../validate'
import type {
  BuildImageOptions,
  BuildProfileOptions,
  ExportImagesOptions,
  ImageInfo,
  ListImagesOptions,
  ProgressOptions,
  PullImageOptions,
  RemoveImageOptions,
} from '../types'

/** The native callback for `onProgress`; refuses `signal`. */
function progressOf(opts: ProgressOptions, what: string): ((e: native.NativeProgress) => void) | undefined {
  if (opts.signal !== undefined) {
    throw argTypeError(`${what}: opts.signal cannot stop a blocking call; use the async API (pocket-dock) to abort`)
  }
  if (opts.onProgress === undefined) return undefined
  const fn = checkFn(opts.onProgress)
  // As in the async API: a callback that throws is reported and the
  // operation goes on (a throw here would abandon it half-done).
  return (e) => {
    try {
      fn(toProgress(e))
    } catch (err) {
      process.emitWarning(`pocket-dock: an onProgress callback threw: ${String(err)}`, 'PocketDockCallbackWarning')
    }
  }
}

/** {@inheritDoc index!buildImage} */
export function buildImage(opts: BuildImageOptions): string {
  checkBuildOptions(opts, 'buildImage(opts)')
  const { context, dockerfile, tag, buildArgs, noCache, labels } = opts
  const socketPath = engineAddress(opts)
  const onEvent = progressOf(opts, 'buildImage(opts)')
  return callNativeSync(() =>
    native.buildImageSync({ context, dockerfile, tag, buildArgs, noCache, labels, socketPath }, onEvent),
  )
}

/** {@inheritDoc index!buildProfile} */
export function buildProfile(name: string, opts: BuildProfileOptions = {}): string {
  checkObject(opts, 'buildProfile(name, opts)')
  return buildImage({ ...opts, ...profileBuild(name, opts.buildArgs) })
}

/** {@inheritDoc index!pullImage} */
export function pullImage(ref: string, opts: PullImageOptions = {}): string {
  checkString(ref, 'pullImage(ref): ref')
  checkObject(opts, 'pullImage(ref, opts)')
  checkAuth(opts.auth, 'pullImage(ref, opts)')
  const { auth, tlsVerify } = opts
  const socketPath = engineAddress(opts)
  const onEvent = progressOf(opts, 'pullImage(ref, opts)')
  return callNativeSync(() =>
    native.pullImageSync(ref, { username: auth?.username, password: auth?.password, tlsVerify, socketPath }, onEvent),
  )
}

/** {@inheritDoc index!listImages} */
export function listImages(opts: ListImagesOptions = {}): ImageInfo[] {
  checkObject(opts, 'listImages(opts)')
  return callNativeSync(() => native.listImagesSync(engineAddress(opts), opts.all)).map(toImageInfo)
}

/** {@inheritDoc index!removeImage} */
export function removeImage(ref: string, opts: RemoveImageOptions = {}): void {
  checkString(ref, 'removeImage(ref): ref')
  checkObject(opts, 'removeImage(ref, opts)')
  callNativeSync(() => native.removeImageSync(ref, opts.force, engineAddress(opts)))
}

/** {@inheritDoc index!exportImages} */
export function exportImages(refs: string[], dest: string, opts: ExportImagesOptions = {}): void {
  checkObject(opts, 'exportImages(refs, dest, opts)')
  if (!Array.isArray(refs)) throw argTypeError('exportImages(refs): refs must be an array of image references')
  refs.forEach((r) => checkString(r, 'exportImages(refs): each ref'))
  if (typeof dest !== 'string')
    throw argTypeError('exportImages(refs, dest): dest must be a path here; the async API also takes a Writable')
  const onEvent = progressOf(opts, 'exportImages(refs, dest, opts)')
  callNativeSync(() => native.exportImagesSync(refs, dest, opts.gzip, engineAddress(opts), onEvent))
}

/** {@inheritDoc index!importImages} */
export function importImages(src: string, opts: ProgressOptions = {}): string[] {
  checkObject(opts, 'importImages(src, opts)')
  if (typeof src !== 'string')
    throw argTypeError('importImages(src): src must be a path here; the async API also takes a Readable')
  const onEvent = progressOf(opts, 'importImages(src, opts)')
  return callNativeSync(() => native.importImagesSync(src, engineAddress(opts), onEvent))
}
