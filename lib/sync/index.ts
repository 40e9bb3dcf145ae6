/**
 * `pocket-dock/sync`: the same API as `pocket-dock/async`, blocking.
 * A thin facade: every call runs the very native operation the async API runs,
 * to completion on the shared background runtime (mini-redis's blocking
 * client is the model). For scripts, CLIs and one-container tasks; it works
 * from `worker_threads` workers, and interleaves with the async API in one
 * process.
 */
import * as native from '../../binding.js'
import { callNativeSync } from '../errors'
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
import { checkName, checkObject } from '../validate'
import { Container } from './container'

export function createNewContainer(opts: CreateOptions = {}): Container {
  checkObject(opts, 'createNewContainer(opts)')
  return new Container(
    callNativeSync(() => native.createContainerSync(opts as Parameters<typeof native.createContainerSync>[0])),
  )
}

export function resumeContainer(name: string, opts: ResumeOptions = {}): Container {
  checkName(name, 'resumeContainer')
  checkObject(opts, 'resumeContainer(name, opts)')
  return new Container(callNativeSync(() => native.resumeContainerSync(name, opts.socketPath, opts.timeout)))
}

export function listContainers(opts: ProjectOptions = {}): ContainerListItem[] {
  checkObject(opts, 'listContainers(opts)')
  return callNativeSync(() => native.listContainersSync(opts.socketPath, opts.project)).map(toListItem)
}

export function stopContainer(name: string, opts: SocketOptions = {}): void {
  checkName(name, 'stopContainer')
  checkObject(opts, 'stopContainer(name, opts)')
  callNativeSync(() => native.stopContainerSync(name, opts.socketPath))
}

export function destroyContainer(name: string, opts: SocketOptions = {}): void {
  checkName(name, 'destroyContainer')
  checkObject(opts, 'destroyContainer(name, opts)')
  callNativeSync(() => native.destroyContainerSync(name, opts.socketPath))
}

export function prune(opts: ProjectOptions = {}): number {
  checkObject(opts, 'prune(opts)')
  return callNativeSync(() => native.pruneSync(opts.socketPath, opts.project))
}

// ---- Projects (docs/projects.md) ----

export function doctor(opts: DoctorOptions = {}): DoctorReport {
  checkObject(opts, 'doctor(opts)')
  return callNativeSync(() => native.doctorSync(opts.projectRoot, opts.socketPath))
}

export { buildImage, buildProfile, exportImages, importImages, listImages, pullImage, removeImage } from './images'
export { Container, type SyncRunOptions } from './container'
export { ExecStream } from './exec-stream'
export { Process } from './process'
export { Session } from './session'
export * from '../shared-exports'
