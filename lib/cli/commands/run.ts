/**
 * `run`: a command in a container, its output printed as it is (blocking,
 * `--stream`, or `--detach`), exiting with the command's own code (124 when
 * it timed out, as timeout(1) does). Ctrl-C kills the command inside the
 * container and exits 130. stdin, when it is a pipe or a file, is streamed
 * to the command.
 */
import type { RunOptions } from '../../index'
import type { Ctx } from '../context'
import { errColor, note, printJson, printJsonLine, say } from '../output'
import { handle } from './containers'

type Opts = Record<string, unknown>

/** `1234` ms → `"1.2 s"`. */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

/** The exit code of a finished command: its own, 124 after a timeout. */
function codeOf(r: { exitCode: number; timedOut: boolean }): number {
  if (r.timedOut) return 124
  return r.exitCode >= 0 && r.exitCode <= 255 ? r.exitCode : 1
}

export async function run(ctx: Ctx, [name, argv]: [string, string[]], o: Opts): Promise<number> {
  // One argument is a shell command line; several are an argv, run with no
  // shell at all (nothing in them is interpreted). Code for `--lang` is one text.
  const cmd = argv.length === 1 || o.lang ? argv.join(' ') : argv
  const abort = new AbortController()
  let interrupts = 0
  const onSignal = () => {
    // The first Ctrl-C kills the command inside the container; a second one leaves at once.
    if (++interrupts > 1) process.exit(130)
    abort.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const opts: Omit<RunOptions, 'stream' | 'detach'> = {
    timeout: o.timeout as number | undefined,
    maxOutput: o.maxOutput as number | undefined,
    lang: o.lang as RunOptions['lang'],
    env: o.env as Record<string, string> | undefined,
    workdir: o.workdir as string | undefined,
    user: o.user as string | undefined,
    signal: abort.signal,
  }
  const c = await handle(ctx, name)
  if (o.detach) {
    const p = await c.run(cmd, { ...opts, detach: true })
    if (ctx.json) printJson({ id: p.id })
    else say(p.id)
    return 0
  }
  // A pipe or a file on stdin is streamed to the command (with backpressure); a terminal is not read.
  if (o.stdin !== false && !process.stdin.isTTY) opts.stdin = process.stdin
  if (o.stream) {
    const s = await c.run(cmd, { ...opts, stream: true })
    for await (const chunk of s) {
      if (ctx.json) printJsonLine(chunk)
      else (chunk.stream === 'stdout' ? process.stdout : process.stderr).write(chunk.data)
    }
    if (abort.signal.aborted) throw abort.signal.reason
    if (ctx.json) printJsonLine(s.result)
    else if (s.result.timedOut) note(errColor.yellow(`timed out after ${seconds(s.result.durationMs)}`))
    return codeOf(s.result)
  }
  const r = await c.run(cmd, opts)
  if (ctx.json) printJson(r)
  else {
    process.stdout.write(r.stdout)
    process.stderr.write(r.stderr)
    if (r.truncated) note(errColor.yellow('output truncated (see --max-output)'))
    if (r.timedOut) note(errColor.yellow(`timed out after ${seconds(r.durationMs)}`))
    if (r.oomKilled) note(errColor.yellow("killed: out of memory (the container's memory limit, `create --mem`)"))
  }
  return codeOf(r)
}
