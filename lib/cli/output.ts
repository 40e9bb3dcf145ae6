/**
 * How the CLI prints: colour only when stdout is a terminal and `NO_COLOR`
 * is unset (picocolors), aligned tables, relative times, binary sizes, JSON
 * documents, and the one-line error report. Everything that is not data
 * (progress, notes, errors) goes to stderr, so `--json` output stays clean.
 */
import { createColors } from 'picocolors'

/** Whether stdout is an interactive terminal that may get colour and animation. */
export const stdoutIsTty = process.stdout.isTTY === true
const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== ''

/** Colours for stdout (off when piped or with `NO_COLOR`). */
export const color = createColors(stdoutIsTty && !noColor)
/** Colours for stderr (off when it is not a terminal or with `NO_COLOR`). */
export const errColor = createColors(process.stderr.isTTY === true && !noColor)

/**
 * Whether progress may be drawn as bars and spinners: stdout and stderr are
 * terminals with a known width (the drawing needs it), `NO_COLOR` unset.
 */
export const fancyProgress =
  process.stderr.isTTY === true && stdoutIsTty && !noColor && (process.stderr.columns ?? 0) > 0

/** Writes one JSON document (Dates as ISO strings) to stdout. */
export function printJson(data: unknown): void {
  process.stdout.write(`${JSON.stringify(data, null, 2)}\n`)
}

/** Writes one line of JSON Lines to stdout. */
export function printJsonLine(data: unknown): void {
  process.stdout.write(`${JSON.stringify(data)}\n`)
}

/** A line on stdout. */
export function say(text: string): void {
  process.stdout.write(`${text}\n`)
}

/** A success line ("✓ …") on stdout. */
export function ok(text: string): void {
  say(`${color.green('✓')} ${text}`)
}

/** A note on stderr (progress, hints): never mixed into data on stdout. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`)
}

// The visible width of text: ANSI colour codes take no room.
const ANSI = /\x1b\[[0-9;]*m/g
function width(text: string): number {
  return [...text.replace(ANSI, '')].length
}

/**
 * Prints rows as a table with aligned columns (two spaces apart, no borders,
 * as `docker ps`), a dim header, and the last column left ragged.
 */
export function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - width(c))))
      .join('  ')
      .trimEnd()
  say(color.bold(line(header)))
  for (const r of rows) say(line(r))
}

/** Prints `label: value` pairs with the values aligned. */
export function fields(pairs: Array<[string, string]>): void {
  const w = Math.max(...pairs.map(([k]) => k.length))
  for (const [k, v] of pairs) say(`${color.dim(`${k}:`.padEnd(w + 1))} ${v}`)
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

/** `1536` → `"1.5 KiB"`: binary units, one decimal under 10. */
export function size(bytes: number): string {
  let n = bytes
  let u = 0
  while (n >= 1024 && u < UNITS.length - 1) {
    n /= 1024
    u++
  }
  return u === 0 ? `${n} B` : `${n < 10 ? n.toFixed(1) : Math.round(n)} ${UNITS[u]}`
}

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })
const STEPS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Infinity],
]

/** `"3 minutes ago"`, `"now"`. */
export function ago(date: Date | null | undefined, now = Date.now()): string {
  if (!date) return '-'
  let n = (date.getTime() - now) / 1000
  for (const [unit, per] of STEPS) {
    if (Math.abs(n) < per) return rtf.format(Math.round(n), unit)
    n /= per
  }
  return date.toISOString()
}

/** `90061000` → `"1d 1h"`: a duration in its two largest units. */
export function duration(ms: number): string {
  const s = Math.floor(ms / 1000)
  const parts: Array<[number, string]> = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor(s / 3600) % 24, 'h'],
    [Math.floor(s / 60) % 60, 'm'],
    [s % 60, 's'],
  ]
  const first = parts.findIndex(([n]) => n > 0)
  if (first < 0) return `${ms} ms`
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(' ')
}

/** A container status, green when running, yellow otherwise. */
export function status(s: string): string {
  return s === 'running' ? color.green(s) : color.yellow(s)
}

/** The first 12 hex digits of an id (`sha256:` dropped), as the engines' CLIs show ids. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12)
}
