/**
 * pocket-dock's async API (SPEC §1): Promises, and classes named as in the
 * seed (`AsyncContainer`, …). `pocket-dock` exports the same.
 */
export { createNewContainer } from './api'
export { AsyncContainer } from './container'
export { ExecResult } from './exec-result'
export {
  AbortError,
  ContainerError,
  ContainerGone,
  ContainerNotFound,
  ContainerNotRunning,
  ImageBuildError,
  ImageNotFound,
  PocketDockError,
  PodmanNotRunning,
  ProjectNotInitialized,
  SessionClosed,
  SocketCommunicationError,
  SocketConnectionError,
  SocketError,
} from './errors'
export type { CreateOptions, RunOptions, ShutdownOptions } from './types'
