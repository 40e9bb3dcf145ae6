// Fails when modules of the core crate import each other in a cycle, and
// prints each cycle with the file that makes every step. Two levels:
//
// - the top-level modules: each (`foo.rs`, or `foo/` with everything under
//   it) is a node, and every `crate::bar…` path in its code (`use` lines,
//   grouped `use crate::{a, b}`, paths written inline) is an edge to `bar`;
// - the files of each module directory: `super::x` in a child is an edge to
//   the sibling `x.rs`, or to `mod.rs` when `x` is an item defined there;
//   `x::…` in `mod.rs` (a `use`, a re-export or an inline path) is an edge to
//   its child `x.rs`; `crate::foo::x` is an edge to `foo/x.rs`.
//
// Comments and string literals are skipped, so a doc link is no dependency;
// so is `use super::*` (only the tests inside a file use it, and there
// `super` is the file itself). The crate root (`lib.rs`) only declares and
// re-exports, so it is no node.
//
// Usage: node scripts/check-module-cycles.mjs [dir] [--print]   (default
// crates/core/src; --print lists every dependency when there is no cycle)

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

/** The names a piece of code reaches through `prefix` (`crate::`, `super::`, `crate::exec::`). */
function imports(src, prefix) {
  const found = new Set()
  const escaped = prefix.replace(/:/g, '\\:')
  for (const m of src.matchAll(new RegExp(`(?<![\\w:])${escaped}(\\w+)`, 'g'))) found.add(m[1])
  // `use crate::{a, b::c}`: the names right after `{` or `,` at depth one.
  for (const m of src.matchAll(new RegExp(`(?<![\\w:])${escaped}\\{`, 'g'))) {
    let depth = 0
    let name = ''
    let atStart = true
    for (let i = m.index + prefix.length; i < src.length; i++) {
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

/** Adds the edge `from → to` (made by `file`) unless it is a self-edge. */
function link(graph, from, to, file) {
  if (!graph.has(from)) graph.set(from, new Map())
  if (from !== to && !graph.get(from).has(to)) graph.get(from).set(to, file)
}

/**
 * Every cycle of `graph`, by depth-first search: a back edge closes one.
 * Each step names the file that makes it.
 */
function cyclesOf(graph) {
  const cycles = []
  const state = new Map()
  const stack = []
  const visit = (node) => {
    state.set(node, 'open')
    stack.push(node)
    for (const target of graph.get(node)?.keys() ?? []) {
      if (!graph.has(target)) continue
      if (state.get(target) === 'open') {
        const loop = [...stack.slice(stack.indexOf(target)), target]
        cycles.push(
          loop
            .map((n, i) =>
              i + 1 < loop.length && graph.get(n).get(loop[i + 1]) !== n
                ? `${n} (${graph.get(n).get(loop[i + 1])})`
                : n,
            )
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
  return cycles
}

const sources = new Map(
  rustFiles(root)
    .map((file) => [relative(root, file).split(/[\\/]/).join('/'), code(readFileSync(file, 'utf8'))])
    .filter(([rel]) => rel !== 'lib.rs'),
)

// The top-level modules.
const modules = new Map()
for (const [rel, src] of sources) {
  const node = rel.split('/')[0].replace(/\.rs$/, '')
  link(modules, node, node, rel)
  for (const target of imports(src, 'crate::')) if (target !== 'self') link(modules, node, target, rel)
}
const graphs = [['modules', modules]]

// The files of each module directory.
for (const dir of [...modules.keys()].filter((m) => sources.has(`${m}/mod.rs`)).sort()) {
  const files = new Map()
  const fileOf = (name) =>
    sources.has(`${dir}/${name}.rs`)
      ? `${dir}/${name}.rs`
      : sources.has(`${dir}/${name}/mod.rs`)
        ? `${dir}/${name}/mod.rs`
        : null
  for (const [rel, src] of sources) {
    if (!rel.startsWith(`${dir}/`)) continue
    link(files, rel, rel, rel)
    for (const name of imports(src, `crate::${dir}::`)) if (fileOf(name)) link(files, rel, fileOf(name), rel)
    if (rel === `${dir}/mod.rs`) {
      const children = [...src.matchAll(/\bmod\s+(\w+)\s*;/g)].map((m) => m[1])
      for (const child of children) {
        if (new RegExp(`(?<![\\w:])(self::)?${child}::`).test(src) && fileOf(child))
          link(files, rel, fileOf(child), rel)
      }
    } else {
      for (const name of imports(src, 'super::')) link(files, rel, fileOf(name) ?? `${dir}/mod.rs`, rel)
    }
  }
  graphs.push([`${dir}/`, files])
}

const cycles = graphs.flatMap(([, graph]) => cyclesOf(graph))
if (cycles.length) {
  console.error(`module cycles in ${root}:`)
  for (const c of cycles) console.error(`  ${c}`)
  process.exit(1)
}
if (process.argv.includes('--print')) {
  for (const [what, graph] of graphs) {
    console.log(`${what}:`)
    for (const n of [...graph.keys()].sort()) {
      const to = [...graph.get(n).keys()].filter((t) => graph.has(t)).sort()
      console.log(`  ${n} → ${to.join(', ')}`)
    }
  }
}
console.log(
  `no module cycles in ${root}: ${modules.size} modules, and the files of ${graphs.length - 1} module directories`,
)
