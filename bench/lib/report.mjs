// Every results table, rendered the same way: one row per tool, one column
// per spec, with the ratios (to the fastest, to raw bollard) computed here.
import { median } from './measure.mjs'
import { RAW } from './raw-bollard.mjs'

/**
 * A markdown table under a `####` title. `rows` are `{ tool, ...values }`, in
 * the order they are shown; each column is one of
 *
 *   { title, key, digits = 1 }        the row's value ('n/a' when it has none)
 *   { title, ratioOf: key, to: 'fastest', best: 'lowest' | 'highest' }
 *                                     the value over the best value of the column
 *   { title, ratioOf: key, to: 'raw' } the value over raw bollard's ('n/a' without it)
 */
export function report(title, rows, columns) {
  const base = (col) => {
    if (col.to === 'raw') return rows.find((r) => r.tool === RAW)?.[col.ratioOf]
    const values = rows.map((r) => r[col.ratioOf])
    return col.best === 'highest' ? Math.max(...values) : Math.min(...values)
  }
  const cells = columns.map((col) => {
    if (col.ratioOf === undefined) return (row) => fixed(row[col.key], col.digits ?? 1)
    const b = base(col)
    return (row) => (b === undefined ? 'n/a' : fixed(row[col.ratioOf] / b, 3))
  })
  return [
    `#### ${title}`,
    '',
    `| tool | ${columns.map((c) => c.title).join(' | ')} |`,
    `|---|${columns.map(() => '---:').join('|')}|`,
    ...rows.map((row) => `| ${row.tool} | ${cells.map((cell) => cell(row)).join(' | ')} |`),
    '',
  ].join('\n')
}

const fixed = (x, digits) => (x === undefined ? 'n/a' : x.toFixed(digits))

/** The table of a timed section: median, min and max milliseconds per tool, from `interleave`'s samples. */
export function timingReport(title, samples) {
  const rows = Object.entries(samples).map(([tool, ms]) => ({
    tool,
    median: median(ms),
    min: Math.min(...ms),
    max: Math.max(...ms),
  }))
  return report(title, rows, [
    { title: 'median ms', key: 'median' },
    { title: 'min ms', key: 'min' },
    { title: 'max ms', key: 'max' },
    { title: 'ratio to fastest', ratioOf: 'median', to: 'fastest', best: 'lowest' },
    { title: 'ratio to raw bollard', ratioOf: 'median', to: 'raw' },
  ])
}
