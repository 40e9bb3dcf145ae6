import * as native from '../binding.js'
import { AsyncContainer } from './container'
import { callNative } from './errors'
import { checkName, checkObject } from './validate'
import type {
  ContainerListItem,
  CreateOptions,
  DoctorOptions,
  DoctorReport,
  ProjectOptions,
  ResumeOptions,
  SocketOptions,
} from './types'
import { toListItem } from './convert'

/**
 * Creates and starts a container sandbox. Options are checked before the
 * engine is contacted: bad input rejects with a `TypeError`/`RangeError` and
 * leaves nothing behind. An ephemeral container (the default) ends with this
 * process, even if it is killed; `persist: true` keeps it.
 */
export async function createNewContainer(opts: CreateOptions = {}): Promise<AsyncContainer> {
  checkObject(opts, 'createNewContainer(opts)')
  const created = await callNative(() => native.createContainer(opts as Parameters<typeof native.createContainer>[0]))
  return new AsyncContainer(created)
}

/**
 * A handle on the managed container `name`, started if it was stopped, with
 * the ports, limits and default timeout it was created with. A container that
 * does not exist, or that pocket-dock did not create, rejects with
 * `ContainerNotFound`.
 */
export async function resumeContainer(name: string, opts: ResumeOptions = {}): Promise<AsyncContainer> {
  checkName(name, 'resumeContainer')
  checkObject(opts, 'resumeContainer(name, opts)')
  return new AsyncContainer(await callNative(() => native.resumeContainer(name, opts.socketPath, opts.timeout)))
}

/** The containers pocket-dock manages (running or not), of one project if given; never anyone else's. */
export async function listContainers(opts: ProjectOptions = {}): Promise<ContainerListItem[]> {
  checkObject(opts, 'listContainers(opts)')
  const items = await callNative(() => native.listContainers(opts.socketPath, opts.project))
  return items.map(toListItem)
}

/** Stops the managed container `name` (an ephemeral one is then removed). */
export async function stopContainer(name: string, opts: SocketOptions = {}): Promise<void> {
  checkName(name, 'stopContainer')
  checkObject(opts, 'stopContainer(name, opts)')
  await callNative(() => native.stopContainer(name, opts.socketPath))
}

/** Removes the managed container `name`, running or not, persistent or not. */
export async function destroyContainer(name: string, opts: SocketOptions = {}): Promise<void> {
  checkName(name, 'destroyContainer')
  checkObject(opts, 'destroyContainer(name, opts)')
  await callNative(() => native.destroyContainer(name, opts.socketPath))
}

/**
 * Removes the stopped managed containers (of one project if given), and the
 * ephemeral ones whose owning process is gone. Resolves with how many.
 */
export async function prune(opts: ProjectOptions = {}): Promise<number> {
  checkObject(opts, 'prune(opts)')
  return callNative(() => native.prune(opts.socketPath, opts.project))
}

// ---- Projects (docs/projects.md) ----

/**
 * Compares a project's instance directories with its containers:
 * `orphanedContainers` (persistent containers of the project with no
 * instance directory), `staleInstanceDirs` (directories whose container is
 * gone), `healthy` (how many match). Outside a project it rejects with
 * `ProjectNotInitialized`.
 */
export async function doctor(opts: DoctorOptions = {}): Promise<DoctorReport> {
  checkObject(opts, 'doctor(opts)')
  return callNative(() => native.doctor(opts.projectRoot, opts.socketPath))
}
