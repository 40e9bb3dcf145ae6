/**
 * What `pocket-dock/async` and `pocket-dock/sync` both export unchanged: the
 * result class, the error classes and the option and result types.
 * One list, so the two modules cannot drift.
 */
export { ExecResult } from './exec-result'
export type { StreamChunk } from './exec-stream'
export type { BufferSnapshot } from './process'
export {
  AbortError,
  ContainerError,
  ContainerGone,
  ContainerNotFound,
  ContainerNotRunning,
  FileNotFound,
  ImageBuildError,
  ImageNotFound,
  IsADirectory,
  NotADirectory,
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
