/**
 * Projects (`docs/projects.md`): `initProject` and `findProjectRoot` (sync in
 * both modules), and the journal plumbing shared by the async and sync
 * APIs: the warnings of failed history/log writes become one
 * `PocketDockLogWarning` each, and every queued line is written before the
 * process exits.
 */
import * as native from '../binding.js'
import { callNativeSync } from './errors'
import { checkObject, checkString } from './validate'
import type { InitProjectOptions, ProjectInfo } from './types'

/**
 * Creates `.pocket-dock/pocket-dock.yaml` (every key at its default, with
 * comments) and `.pocket-dock/.gitignore` (keeping `instances/` out of git)
 * in `path` (default: the cwd), and returns the project root. Idempotent.
 * A path that is not a directory, or a `projectName` with `/` or a newline,
 * is a `TypeError`; an unwritable directory a `ProjectError`.
 */
export function initProject(path?: string, opts: InitProjectOptions = {}): string {
  if (path !== undefined) checkString(path, 'initProject(path)')
  checkObject(opts, 'initProject(path, opts)')
  if (opts.projectName !== undefined) checkString(opts.projectName, 'initProject(path, opts): opts.projectName')
  return callNativeSync(() => native.initProject(path, opts.projectName))
}

/** The nearest directory from `start` (default: the cwd) up that holds `.pocket-dock/pocket-dock.yaml`, or `null`. */
export function findProjectRoot(start?: string): string | null {
  if (start !== undefined) checkString(start, 'findProjectRoot(start)')
  return callNativeSync(() => native.findProjectRoot(start)) ?? null
}

/** How often pending journal warnings are looked for while a journaled container exists. */
const WARNING_POLL_MS = 500
let poll: NodeJS.Timeout | undefined

/** Emits the journal warnings the core has gathered, one `PocketDockLogWarning` each. */
export function emitJournalWarnings(): void {
  for (const message of native.takeJournalWarnings()) {
    process.emitWarning(message, 'PocketDockLogWarning')
  }
}

/**
 * Called for every container handle: one with an instance directory starts
 * the (unref'd) warning poll, and the exit hook that writes what is queued.
 */
export function watchJournal(dataPath: string | null): void {
  if (dataPath === null || poll !== undefined) return
  poll = setInterval(emitJournalWarnings, WARNING_POLL_MS).unref()
  process.once('exit', () => native.flushJournals())
}

/**
 * The project at `root` (default: the nearest from the cwd up): its root,
 * its instance directory and the configuration in force (the user's file,
 * then the project's). None is `ProjectNotInitialized`; a malformed config
 * a `ProjectConfigError`.
 */
export function projectInfo(root?: string): ProjectInfo {
  if (root !== undefined) checkString(root, 'projectInfo(root)')
  const p = callNativeSync(() => native.projectInfo(root))
  return {
    ...p,
    defaultProfile: p.defaultProfile ?? null,
    socket: p.socket ?? null,
    logLevel: p.logLevel as ProjectInfo['logLevel'],
  }
}
