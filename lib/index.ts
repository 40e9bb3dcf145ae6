/** `pocket-dock`: the async API, the same exports as `pocket-dock/async`. */
export * from './async'
