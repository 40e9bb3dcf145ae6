/**
 * pocket-dock's async API (SPEC §1): Promises, and classes named as in the
 * seed (`AsyncContainer`, …). `pocket-dock` exports the same.
 */
export { createNewContainer, destroyContainer, listContainers, prune, resumeContainer, stopContainer } from './api'
export { AsyncContainer, type ExitCallback, type OutputCallback } from './container'
export { AsyncExecStream, type StreamChunk } from './exec-stream'
export { AsyncProcess, type BufferSnapshot } from './process'
export { AsyncSession } from './session'
export { ExecResult } from './exec-result'
export {
  AbortError,
  ContainerError,
  ContainerGone,
  ContainerNotFound,
  ContainerNotRunning,
  FileNotFound,
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
export type {
  ContainerInfo,
  ContainerListItem,
  CreateOptions,
  ProcessInfo,
  ProjectOptions,
  RebootOptions,
  ResumeOptions,
  RunOptions,
  ShutdownOptions,
  SocketOptions,
} from './types'
