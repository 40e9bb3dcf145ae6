/**
 * What `run()` takes, checked and split for the binding, shared by the async
 * and sync containers: the command (a shell line or an argv) and the stdin
 * (bytes given at once, a stream fed while the command runs, or `'pipe'` for
 * a detached process's `write()`). Type and shape errors are `TypeError`s
 * here, before the engine is called; what values mean is the core's check.
 */
import { Readable } from 'node:stream'
import { NativeStdin, type NativeRunOptions } from '../binding.js'
import { argTypeError } from './errors'
import { toBuffer } from './convert'
import type { RunOptions } from './types'

/** A command: `sh -c` of a string, or an argv run with no shell. */
export type Command = string | readonly string[]

function argValueError(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_VALUE' })
}

/** Checks `cmd`: a string, or a non-empty array of strings (copied). */
export function checkCommand(cmd: unknown): string | string[] {
  if (typeof cmd === 'string') return cmd
  if (!Array.isArray(cmd)) {
    throw argTypeError(
      `run(cmd): cmd must be a string or an array of strings, got ${cmd === null ? 'null' : typeof cmd}`,
    )
  }
  if (cmd.length === 0) throw argValueError('run(cmd): the argv is empty: give at least the program to run')
  cmd.forEach((a, i) => {
    if (typeof a !== 'string')
      throw argTypeError(`run(cmd): cmd[${i}] must be a string, got ${a === null ? 'null' : typeof a}`)
  })
  return [...cmd] as string[]
}

/** A stdin fed while the command runs. */
type StdinSource = Readable | AsyncIterable<Uint8Array | string>

/** The options for the binding, and the stdin that JS writes while the command runs. */
export interface RunInput {
  native: NativeRunOptions
  /** The pipe to pass along with the call, if stdin is streamed or `'pipe'`. */
  pipe?: NativeStdin
  /** The stream to pump into `pipe` once the command started. */
  source?: StdinSource
}

function isAsyncIterable(v: unknown): v is AsyncIterable<Uint8Array | string> {
  return (
    v !== null && typeof v === 'object' && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  )
}

/** Splits `opts` (without `signal`) for the binding; `sync` refuses streamed stdin. */
export function toRunInput(opts: Omit<RunOptions, 'signal'>, sync = false): RunInput {
  const { stdin, ...rest } = opts
  const native: NativeRunOptions = { ...rest }
  if (stdin === undefined) return { native }
  if (typeof stdin === 'string' && stdin === 'pipe') {
    if (!opts.detach) {
      throw argValueError(
        "run(): `stdin: 'pipe'` is for a detached process (`detach: true`), which you then write() to",
      )
    }
    return { native, pipe: new NativeStdin() }
  }
  if (typeof stdin === 'string' || stdin instanceof Uint8Array) return { native: { ...native, stdin: toBuffer(stdin) } }
  if (stdin instanceof Readable || isAsyncIterable(stdin)) {
    if (sync) {
      throw argTypeError(
        'run(): a streamed stdin (Readable or AsyncIterable) needs the async API; pocket-dock/sync takes a string or bytes',
      )
    }
    return { native, pipe: new NativeStdin(), source: stdin }
  }
  throw argTypeError(
    `run(): opts.stdin must be a string, a Uint8Array, a Readable, an AsyncIterable of bytes or 'pipe', got ${stdin === null ? 'null' : typeof stdin}`,
  )
}

/**
 * Feeds `source` into `pipe` chunk by chunk, each write waiting until the
 * command has room (backpressure: the source is not read ahead), then
 * closes it. A command that stops reading, or a source that fails, ends the
 * input: the command sees end-of-file.
 */
export async function pumpStdin(source: StdinSource, pipe: NativeStdin): Promise<void> {
  try {
    for await (const chunk of source) await pipe.write(toBuffer(chunk))
  } catch {
    // The command ended (nothing reads any more) or the source failed: stop.
  } finally {
    pipe.close()
  }
}
