/**
 * pocket-dock's async API: Promises, and classes named as in the
 * seed (`AsyncContainer`, …). `pocket-dock` exports the same.
 */
export {
  createNewContainer,
  destroyContainer,
  doctor,
  listContainers,
  prune,
  resumeContainer,
  stopContainer,
} from './api'
export { buildImage, buildProfile, exportImages, importImages, listImages, pullImage, removeImage } from './images'
export { AsyncContainer, type ExitCallback, type OutputCallback } from './container'
export { AsyncExecStream } from './exec-stream'
export { AsyncProcess } from './process'
export { AsyncSession } from './session'
export * from './shared-exports'
