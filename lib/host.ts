/**
 * Engine addresses as the binding takes them: one string per engine. A
 * `host` (`unix:///path`, `tcp://host:2376`, `ssh://user@host[:port]`,
 * `npipe:////./pipe/name`) or a `socketPath`, with the TLS file paths of
 * `tls` and `allowInsecure` carried as query parameters that the core's
 * `crates/core/src/endpoint.rs` reads back. See `docs/remote.md`.
 */
import * as path from 'node:path'
import { argTypeError } from './errors'
import type { SocketOptions } from './types'

function checkPath(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '') throw argTypeError(`${name} must be a non-empty file path`)
  return path.resolve(value)
}

/**
 * The one engine address of `opts` (`undefined`: discovery). Checks the
 * options' types before any engine is contacted.
 */
export function engineAddress(opts: SocketOptions): string | undefined {
  const { socketPath, host, tls, allowInsecure } = opts
  if (socketPath !== undefined && typeof socketPath !== 'string') throw argTypeError('socketPath must be a string')
  if (host !== undefined && typeof host !== 'string') throw argTypeError('host must be a string')
  if (socketPath !== undefined && host !== undefined && socketPath !== host) {
    throw argTypeError('give `host` or `socketPath`, not both')
  }
  if (allowInsecure !== undefined && typeof allowInsecure !== 'boolean') {
    throw argTypeError('allowInsecure must be a boolean')
  }
  const address = host ?? socketPath
  if (tls === undefined && !allowInsecure) return address
  if (address === undefined || !/^(tcp|https?):\/\//.test(address)) {
    throw argTypeError('`tls` and `allowInsecure` go with a `host` of the form tcp://host:port')
  }
  const query: string[] = []
  if (tls !== undefined) {
    if (tls === null || typeof tls !== 'object') throw argTypeError('tls must be { ca, cert?, key? } (file paths)')
    const ca = checkPath(tls.ca, 'tls.ca')
    const cert = checkPath(tls.cert, 'tls.cert')
    const key = checkPath(tls.key, 'tls.key')
    if (ca === undefined) throw argTypeError('tls.ca is required: the CA that signed the engine certificate')
    if ((cert === undefined) !== (key === undefined)) throw argTypeError('tls.cert and tls.key go together')
    query.push(`tlsca=${encodeURIComponent(ca)}`)
    if (cert !== undefined && key !== undefined) {
      query.push(`tlscert=${encodeURIComponent(cert)}`, `tlskey=${encodeURIComponent(key)}`)
    }
  }
  if (allowInsecure) query.push('insecure=1')
  return `${address}${address.includes('?') ? '&' : '?'}${query.join('&')}`
}
