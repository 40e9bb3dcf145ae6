/**
 * Which engines answer: {@link engines} probes every configured one (the
 * environment's, the current Docker context's, the default sockets that
 * exist), {@link ping} one address. Both async; `pocket-dock/sync` has the
 * blocking twins. See `docs/remote.md`.
 */
import * as native from '../binding.js'
import type { NativeEngineStatus } from '../binding.js'
import { callNative, callNativeSync, fromNative } from './errors'
import { engineAddress } from './host'
import { checkObject } from './validate'
import type { EngineStatus, SocketOptions } from './types'

/** The binding's status as the public one, its failure as a pocket-dock error. */
export function toEngineStatus(s: NativeEngineStatus): EngineStatus {
  const error = s.error
    ? (fromNative(Object.assign(new Error(s.errorMessage ?? s.error.code), s.error)) as Error)
    : null
  return {
    host: s.host,
    source: s.source,
    ok: s.ok,
    kind: s.kind === 'docker' || s.kind === 'podman' ? s.kind : null,
    version: s.version ?? null,
    apiVersion: s.apiVersion ?? null,
    latencyMs: s.latencyMs ?? null,
    error,
  }
}

/** Every configured engine, probed at once: which answer, their versions and ping latency. Never rejects for an engine that does not answer: its entry says why. */
export async function engines(): Promise<EngineStatus[]> {
  return (await callNative(() => native.engines())).map(toEngineStatus)
}

/** Probes one engine (`host`/`socketPath`/`tls` as everywhere, or the one discovery finds). */
export async function ping(opts: SocketOptions = {}): Promise<EngineStatus> {
  checkObject(opts, 'ping(opts)')
  const host = engineAddress(opts)
  return toEngineStatus(await callNative(() => native.ping(host)))
}

/** {@link engines}, blocking. */
export function enginesSync(): EngineStatus[] {
  return callNativeSync(() => native.enginesSync()).map(toEngineStatus)
}

/** {@link ping}, blocking. */
export function pingSync(opts: SocketOptions = {}): EngineStatus {
  checkObject(opts, 'ping(opts)')
  const host = engineAddress(opts)
  return toEngineStatus(callNativeSync(() => native.pingSync(host)))
}
