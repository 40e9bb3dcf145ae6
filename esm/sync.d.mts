// Types of the ESM entry point: the same declarations as the CommonJS build.
export * from '../dist/sync/index.js'
