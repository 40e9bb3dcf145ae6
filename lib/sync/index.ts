/**
 * `pocket-dock/sync`: the same API as `pocket-dock/async`, blocking.
 * A thin facade: every call runs the very native operation the async API runs,
 * to completion on the shared background runtime (mini-redis's blocking
 * client is the model). For scripts, CLIs and one-container tasks; it works
 * from `worker_threads` workers, and interleaves with the async API in one
 * process.
 */
import * as native from '../../binding.js'
import { argTypeError, callNativeSync } from '../errors'
import type {
  ContainerListItem,
  CreateOptions,
  DoctorOptions,
  DoctorReport,
  ProjectOptions,
  ResumeOptions,
  SocketOptions,
} from '../types'
import { toListItem } from '../convert'
import { engineAddress } from '../host'
import { checkName, checkObject } from '../validate'
import { Container } from './container'

/** {@inheritDoc index!createNewContainer} */
export function createNewContainer(opts: CreateOptions = {}): Container {
  checkObject(opts, 'createNewContainer(opts)')
  if (opts.signal !== undefined)
    throw argTypeError(
      'createNewContainer(opts): opts.signal cannot stop a blocking call; use the async API (pocket-dock) to abort',
    )
  return new Container(
    callNativeSync(() =>
      native.createContainerSync({ ...opts, socketPath: engineAddress(opts) } as Parameters<
        typeof native.createContainerSync
      >[0]),
    ),
  )
}

/** {@inheritDoc index!resumeContainer} */
export function resumeContainer(name: string, opts: ResumeOptions = {}): Container {
  checkName(name, 'resumeContainer')
  checkObject(opts, 'resumeContainer(name, opts)')
  return new Container(callNativeSync(() => native.resumeContainerSync(name, engineAddress(opts), opts.timeout)))
}

/** {@inheritDoc index!listContainers} */
export function listContainers(opts: ProjectOptions = {}): ContainerListItem[] {
  checkObject(opts, 'listContainers(opts)')
  return callNativeSync(() => native.listContainersSync(engineAddress(opts), opts.project)).map(toListItem)
}

/** {@inheritDoc index!stopContainer} */
export function stopContainer(name: string, opts: SocketOptions = {}): void {
  checkName(name, 'stopContainer')
  checkObject(opts, 'stopContainer(name, opts)')
  callNativeSync(() => native.stopContainerSync(name, engineAddress(opts)))
}

/** {@inheritDoc index!destroyContainer} */
export function destroyContainer(name: string, opts: SocketOptions = {}): void {
  checkName(name, 'destroyContainer')
  checkObject(opts, 'destroyContainer(name, opts)')
  callNativeSync(() => native.destroyContainerSync(name, engineAddress(opts)))
}

/** {@inheritDoc index!prune} */
export function prune(opts: ProjectOptions = {}): number {
  checkObject(opts, 'prune(opts)')
  return callNativeSync(() => native.pruneSync(engineAddress(opts), opts.project))
}

// ---- Projects (docs/projects.md) ----

/** {@inheritDoc index!doctor} */
export function doctor(opts: DoctorOptions = {}): DoctorReport {
  checkObject(opts, 'doctor(opts)')
  return callNativeSync(() => native.doctorSync(opts.projectRoot, engineAddress(opts)))
}

export { buildImage, buildProfile, exportImages, importImages, listImages, pullImage, removeImage } from './images'
export { Container, type SyncRunOptions } from './container'
export { ExecStream } from './exec-stream'
export { Process } from './process'
export { Session } from './session'
export { Pool, createPool } from './pool'
export * from '../shared-exports'

// ---- Remote engines ----
export { enginesSync as engines, pingSync as ping } from '../engines'
