import * as native from '../binding.js'
import { AsyncContainer } from './container'
import { AbortError, callNative } from './errors'
import { engineAddress } from './host'
import { checkName, checkObject, checkSignal } from './validate'
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
  // `signal` stops the image pull (`pull: 'missing' | 'always'`).
  const { signal: given, ...rest } = opts
  const signal = checkSignal(given, 'createNewContainer(opts)')
  if (signal?.aborted) throw new AbortError(signal.reason)
  const token = new native.CancelToken()
  const abort = () => token.cancel()
  signal?.addEventListener('abort', abort, { once: true })
  try {
    const created = await callNative(() =>
      native.createContainer(
        { ...rest, socketPath: engineAddress(opts) } as Parameters<typeof native.createContainer>[0],
        token,
      ),
    )
    return new AsyncContainer(created)
  } catch (err) {
    if (signal?.aborted) throw new AbortError(signal.reason)
    throw err
  } finally {
    signal?.removeEventListener('abort', abort)
  }
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
  return new AsyncContainer(await callNative(() => native.resumeContainer(name, engineAddress(opts), opts.timeout)))
}

/** The containers pocket-dock manages (running or not), of one project if given; never anyone else's. */
export async function listContainers(opts: ProjectOptions = {}): Promise<ContainerListItem[]> {
  checkObject(opts, 'listContainers(opts)')
  const items = await callNative(() => native.listContainers(engineAddress(opts), opts.project))
  return items.map(toListItem)
}

/** Stops the managed container `name` (an ephemeral one is then removed). */
export async function stopContainer(name: string, opts: SocketOptions = {}): Promise<void> {
  checkName(name, 'stopContainer')
  checkObject(opts, 'stopContainer(name, opts)')
  await callNative(() => native.stopContainer(name, engineAddress(opts)))
}

/** Removes the managed container `name`, running or not, persistent or not. */
export async function destroyContainer(name: string, opts: SocketOptions = {}): Promise<void> {
  checkName(name, 'destroyContainer')
  checkObject(opts, 'destroyContainer(name, opts)')
  await callNative(() => native.destroyContainer(name, engineAddress(opts)))
}

/**
 * Removes the stopped managed containers (of one project if given), and the
 * ephemeral ones whose owning process is gone. Resolves with how many.
 */
export async function prune(opts: ProjectOptions = {}): Promise<number> {
  checkObject(opts, 'prune(opts)')
  return callNative(() => native.prune(engineAddress(opts), opts.project))
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
  return callNative(() => native.doctor(opts.projectRoot, engineAddress(opts)))
}
