// Types of the ESM entry point: the same declarations as the CommonJS build.
export * from '../dist/index.js'
