/**
 * What every command handler receives (the global options, resolved), the
 * usage error, and the parsers of option values shared by several commands.
 * A value that does not parse is a usage error (exit 2) before anything
 * reaches the engine.
 */
import { InvalidArgumentError } from 'commander'
import { engineAddress } from '../host'

/** The global options, as every handler sees them. */
export interface Ctx {
  /** The engine address from `--socket`/`--host` and the TLS flags (undefined: the API's discovery). */
  socketPath?: string
  json: boolean
  verbose: boolean
}

/** A command line that makes no sense beyond what the parser checks: exit 2, with the command's help. */
export class UsageError extends Error {}

/** `--host URL`: an engine address the API takes (see docs/remote.md). */
export function checkHost(host: string): string {
  if (!/^(unix|tcp|ssh|npipe):\/\/./.test(host)) {
    throw new InvalidArgumentError('use unix:///path, tcp://host:port, ssh://user@host[:port] or npipe:////./pipe/name')
  }
  return host
}

/** The global options as commander parsed them. */
export interface GlobalFlags {
  socket?: string
  host?: string
  tlscacert?: string
  tlscert?: string
  tlskey?: string
  allowInsecure?: boolean
  json?: boolean
  verbose?: boolean
}

/**
 * The handlers' context from the global options: `--host` with its TLS
 * files folded into the one engine address the API takes (as `engineAddress`
 * does for `host` + `tls`). A flag combination the API refuses is a usage error.
 */
export function contextOf(g: GlobalFlags): Ctx {
  if (g.socket !== undefined && g.host !== undefined) throw new UsageError('give --socket or --host, not both')
  const tls = g.tlscacert === undefined ? undefined : { ca: g.tlscacert, cert: g.tlscert, key: g.tlskey }
  if (tls === undefined && (g.tlscert !== undefined || g.tlskey !== undefined)) {
    throw new UsageError('--tlscert and --tlskey need --tlscacert (the CA that signed the engine certificate)')
  }
  return {
    socketPath: engineAddress({ socketPath: g.socket, host: g.host, tls, allowInsecure: g.allowInsecure }),
    json: g.json === true,
    verbose: g.verbose === true,
  }
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

/** `H:C` with H a host port (0 = any free one) and C a container port, optionally `/tcp` or `/udp`. */
export function parsePort(value: string, previous: Array<[string, string]> | undefined): Array<[string, string]> {
  const m = /^(\d{1,5}):(\d{1,5})(\/(tcp|udp))?$/.exec(value)
  if (!m || Number(m[1]) > 65535 || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new InvalidArgumentError('expected HOST:CONTAINER ports (0-65535:1-65535, e.g. 8080:80 or 5353:53/udp)')
  }
  return [...(previous ?? []), [m[1], `${m[2]}${m[3] ?? ''}`]]
}

/** `HOST:CONTAINER[:ro]`, the host path made absolute. */
export function parseVolume(value: string, previous: Array<[string, string]> | undefined): Array<[string, string]> {
  const m = /^([^:]+):(\/[^:]*)(:(ro|rw))?$/.exec(value)
  if (!m) throw new InvalidArgumentError('expected HOST:CONTAINER[:ro] with an absolute container path')
  const { resolve } = require('node:path') as typeof import('node:path')
  return [...(previous ?? []), [resolve(m[1]), m[3] === ':ro' ? `${m[2]}:ro` : m[2]]]
}

/** `KEY=VALUE`, or `KEY` alone to pass this shell's value on. */
export function parseEnv(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const eq = value.indexOf('=')
  const key = eq < 0 ? value : value.slice(0, eq)
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new InvalidArgumentError('expected KEY=VALUE')
  const v = eq < 0 ? process.env[key] : value.slice(eq + 1)
  return v === undefined ? { ...previous } : { ...previous, [key]: v }
}

/** `PATH[:OPTIONS]` of a tmpfs mount (an absolute container path). */
export function parseTmpfs(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const m = /^(\/[^:]*)(:(.*))?$/.exec(value)
  if (!m)
    throw new InvalidArgumentError('expected an absolute container path, optionally :OPTIONS (e.g. /scratch:size=64m)')
  return { ...previous, [m[1]]: m[3] ?? '' }
}

/** `KEY=VALUE` (a label or a build argument). */
export function parsePair(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const eq = value.indexOf('=')
  if (eq < 1) throw new InvalidArgumentError('expected KEY=VALUE')
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) }
}

/** A memory size as the API takes it: bytes, or a number with k/m/g/t (optionally b/ib). */
export function parseMem(value: string): string {
  if (!/^\d+(\.\d+)?\s*([kmgt](i?b)?|b)?$/i.test(value.trim())) {
    throw new InvalidArgumentError('expected a size like 512m or 1g')
  }
  return value.trim()
}

/** A number > 0 (seconds, percent), `Infinity` accepted where `infinite` is set. */
export function positive(infinite = false) {
  return (value: string): number => {
    if (infinite && /^(inf|infinity|none)$/i.test(value)) return Infinity
    const n = Number(value)
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number greater than 0')
    return n
  }
}

/** A whole number > 0. */
export function wholeNumber(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a whole number greater than 0')
  return n
}
