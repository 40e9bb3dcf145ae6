/**
 * What `pocket-dock/async` and `pocket-dock/sync` both export unchanged: the
 * result class, the error classes, the option and result types, and the
 * functions that touch no engine (profiles, the version).
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
  EngineConnectionError,
  FileNotFound,
  ImageBuildError,
  ImagePullError,
  ImageNotFound,
  IsADirectory,
  NotADirectory,
  PocketDockError,
  PodmanNotRunning,
  PoolClosed,
  ProjectConfigError,
  ProjectError,
  ProjectNotInitialized,
  SessionClosed,
  SocketCommunicationError,
  SocketConnectionError,
  SocketError,
  StdinClosed,
  TimeoutError,
} from './errors'
export { listProfiles, resolveProfile, version } from './profiles'
export { findProjectRoot, initProject, projectInfo } from './project'
export type {
  BuildImageOptions,
  BuildProfileOptions,
  ContainerInfo,
  ContainerListItem,
  CreateOptions,
  EngineStatus,
  DoctorOptions,
  DoctorReport,
  ExportImagesOptions,
  HistoryLine,
  ImageInfo,
  InitProjectOptions,
  ListImagesOptions,
  ProcessInfo,
  ProfileInfo,
  ProgressEvent,
  ProgressOptions,
  PoolOptions,
  ProjectInfo,
  ProjectOptions,
  PullImageOptions,
  RebootOptions,
  RemoveImageOptions,
  ResumeOptions,
  RunOptions,
  ShutdownOptions,
  SocketOptions,
  TlsOptions,
  WaitOptions,
} from './types'
export type { Command } from './run-input'
