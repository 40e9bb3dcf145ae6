/**
 * How a failure reaches the user: one line on stderr (the typed error's
 * message, which already says what to do) and exit 1; `--verbose` adds the
 * error's code, its fields and the stack. Usage errors were printed by the
 * parser with the command's help: exit 2. Ctrl-C: 130, as shells do.
 */
import { CommanderError } from 'commander'
import { errColor } from './output'

/**
 * The API's messages name the API call that helps; at the command line the
 * command that does the same is the better hint.
 */
const HINTS: Array<[RegExp, string]> = [
  [/`listContainers\(\)`/g, '`pocket-dock list --all`'],
  [/`resumeContainer\(\)`/g, '`pocket-dock resume NAME`'],
  [/`await buildProfile\('([^']+)'\)` or `npx pocket-dock build \1`/g, '`pocket-dock build $1`'],
  [/`await pullImage\('([^']+)'\)`/g, '`pocket-dock pull-image $1`'],
  [/`createNewContainer\(\{ pull: 'missing' \}\)`/g, '`pocket-dock create --pull missing`'],
  [/`buildImage\(\)`/g, '`pocket-dock build --context DIR --tag NAME`'],
  [/`importImages\(\)`/g, '`pocket-dock import FILE`'],
]

/** `message` with the API's hints turned into the commands that do the same. */
export function cliHints(message: string): string {
  return HINTS.reduce((m, [re, to]) => m.replace(re, to), message)
}

/** Prints `err` and returns the exit code for it. */
export function report(err: unknown, verbose: boolean): number {
  if (err instanceof CommanderError) {
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2
  }
  if (err instanceof Error && err.name === 'AbortError') {
    process.stderr.write(`${errColor.yellow('interrupted')}\n`)
    return 130
  }
  const e = err instanceof Error ? err : new Error(String(err))
  process.stderr.write(`${errColor.red('error:')} ${cliHints(e.message)}\n`)
  if (verbose) {
    const fields = Object.entries(e).filter(([k]) => k !== 'message' && k !== 'stack')
    const code = (e as { code?: unknown }).code
    process.stderr.write(errColor.dim(`${e.name}${code ? ` (${String(code)})` : ''}\n`))
    for (const [k, v] of fields) process.stderr.write(errColor.dim(`  ${k}: ${JSON.stringify(v)}\n`))
    if (e.stack) process.stderr.write(errColor.dim(`${e.stack.split('\n').slice(1).join('\n')}\n`))
  }
  return 1
}
