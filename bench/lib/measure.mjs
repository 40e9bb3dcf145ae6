// Timing and sampling shared by every section.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

/** `execFile` as a promise of { stdout, stderr }. */
export const run = promisify(execFile)

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Milliseconds `fn` took, or the number it returns (a tool that times itself). */
export async function time(fn) {
  const t = performance.now()
  const r = await fn()
  return typeof r === 'number' ? r : performance.now() - t
}

/**
 * Runs every tool's `go` once per iteration, in an order that rotates each
 * iteration, so drift in the machine's load hits all of them alike; the first
 * `warmup` iterations are discarded. Returns the milliseconds per tool name.
 */
export async function interleave(tools, n, warmup) {
  const samples = Object.fromEntries(tools.map((t) => [t.name, []]))
  for (let i = 0; i < warmup + n; i++) {
    for (let k = 0; k < tools.length; k++) {
      const tool = tools[(i + k) % tools.length]
      const ms = await time(() => tool.go())
      if (i >= warmup) samples[tool.name].push(ms)
    }
  }
  return samples
}

/**
 * Runs each tool's `go` `n` times in turn (each run is long and measures
 * itself); every run must report `bytes` moved. Returns the runs' results per
 * tool name.
 */
export async function runsOf(tools, n, bytes) {
  const samples = Object.fromEntries(tools.map((t) => [t.name, []]))
  for (let i = 0; i < n; i++) {
    for (const tool of tools) {
      const r = await tool.go()
      if (r.bytes !== bytes) throw new Error(`${tool.name} moved ${r.bytes} of ${bytes} bytes`)
      samples[tool.name].push(r)
    }
  }
  return samples
}

/**
 * Runs `bench/<worker>` in a fresh Node process, so the peak RSS and CPU it
 * reports are that one measurement's alone, and returns the JSON it prints.
 */
export async function inFreshProcess(worker, ...args) {
  const path = new URL(`../${worker}`, import.meta.url).pathname
  return JSON.parse((await run(process.execPath, [path, ...args.map(String)])).stdout)
}
