// Fails when the top-level modules of the core crate import each other in a
// cycle. Each top-level module (`foo.rs`, or `foo/` with everything under it)
// is a node; every `crate::bar…` path in its code (`use` lines, grouped
// `use crate::{a, b}` and paths written inline) is an edge to `bar`. Doc and
// line comments are skipped, so a link in a comment is not a dependency.
// The crate root (`lib.rs`) only declares and re-exports, so it is no node.
//
// Usage: node scripts/check-module-cycles.mjs [dir] [--print]   (default
// crates/core/src; --print lists every module's dependencies when there is no cycle)

import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'crates/core/src'

/** Every `.rs` file under `dir`. */
function rustFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return rustFiles(path)
    return name.endsWith('.rs') ? [path] : []
  })
}

/** The code of a Rust file without its comments and string literals. */
function code(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\/\/.*$/gm, '')
}

/** The top-level modules a piece of code names through `crate::`. */
function imports(src) {
  const found = new Set()
  for (const m of src.matchAll(/\bcrate::(\w+)/g)) found.add(m[1])
  // `use crate::{a, b::c}`: the names right after `{` or `,` at depth one.
  for (const m of src.matchAll(/\bcrate::\{/g)) {
    let depth = 0
    let name = ''
    let atStart = true
    for (let i = m.index + 'crate::'.length; i < src.length; i++) {
      const ch = src[i]
      if (ch === '{') {
        depth++
        atStart = depth === 1
        continue
      }
      if (ch === '}') {
        if (depth === 1 && name) found.add(name)
        if (--depth === 0) break
        continue
      }
      if (depth !== 1) continue
      if (ch === ',') {
        if (name) found.add(name)
        name = ''
        atStart = true
      } else if (/\w/.test(ch) && atStart) {
        name += ch
      } else if (/\s/.test(ch) && !name) {
        continue
      } else {
        if (name) found.add(name)
        name = ''
        atStart = false
      }
    }
  }
  found.delete('self')
  return found
}

const graph = new Map()
for (const file of rustFiles(root)) {
  const rel = relative(root, file)
  if (rel === 'lib.rs') continue
  const node = rel.split(/[\\/]/)[0].replace(/\.rs$/, '')
  if (!graph.has(node)) graph.set(node, new Map())
  for (const target of imports(code(readFileSync(file, 'utf8')))) {
    if (target === node) continue
    const edges = graph.get(node)
    if (!edges.has(target)) edges.set(target, rel)
  }
}

// Depth-first search; a back edge closes a cycle, printed with the file that
// makes each step.
const cycles = []
const state = new Map()
const stack = []
function visit(node) {
  state.set(node, 'open')
  stack.push(node)
  for (const target of graph.get(node)?.keys() ?? []) {
    if (!graph.has(target)) continue
    if (state.get(target) === 'open') {
      const loop = stack.slice(stack.indexOf(target))
      cycles.push(
        [...loop, target]
          .map((n, i, all) => (i + 1 < all.length ? `${n} (${graph.get(n).get(all[i + 1])})` : n))
          .join(' → '),
      )
    } else if (!state.has(target)) {
      visit(target)
    }
  }
  stack.pop()
  state.set(node, 'done')
}
for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node)

if (cycles.length) {
  console.error(`module cycles in ${root}:`)
  for (const c of cycles) console.error(`  ${c}`)
  process.exit(1)
}
const order = [...graph.keys()].sort()
if (process.argv.includes('--print')) {
  for (const n of order)
    console.log(
      `${n} → ${[...graph.get(n).keys()]
        .filter((t) => graph.has(t))
        .sort()
        .join(', ')}`,
    )
}
console.log(`no module cycles among ${order.length} modules of ${root}`)
