/**
 * `shell`: an interactive terminal in a container, as `docker exec -it`
 * gives, through the API alone (no engine CLI): a detached command with a
 * pseudo-terminal (`tty`), the user's keystrokes written to its stdin in raw
 * mode, its output written back, window resizes forwarded, the user's
 * `TERM`. The terminal is restored however the command ends, even on a crash.
 */
import type { Ctx } from '../context'
import { handle } from './containers'

type Opts = Record<string, unknown>

/** Starts bash when the container has it, else sh (busybox and Alpine images have no bash). */
const PICK_SHELL = 'command -v bash >/dev/null 2>&1 && exec bash || exec sh'

export async function shell(ctx: Ctx, [name]: string[], o: Opts): Promise<number> {
  const stdin = process.stdin
  const stdout = process.stdout
  const c = await handle(ctx, name)
  const cmd = o.shell ? [o.shell as string] : ['sh', '-c', PICK_SHELL]
  const p = await c.run(cmd, {
    detach: true,
    tty: true,
    cols: stdout.columns || 80,
    rows: stdout.rows || 24,
    stdin: 'pipe',
    encoding: 'buffer',
    env: { TERM: process.env.TERM || 'xterm-256color' },
    user: o.user as string | undefined,
    workdir: o.workdir as string | undefined,
  })
  c.onStdout((_c, data) => stdout.write(data))
  c.onStderr((_c, data) => process.stderr.write(data))

  const raw = stdin.isTTY === true
  const restore = () => {
    if (raw && stdin.isTTY) stdin.setRawMode(false)
  }
  // Whatever ends this process, the user's terminal is given back sane.
  process.once('exit', restore)
  if (raw) stdin.setRawMode(true)

  let writing = Promise.resolve()
  const onData = (chunk: Buffer) => {
    // One write at a time, in order; the terminal waits while the shell does not read.
    stdin.pause()
    writing = writing
      .then(() => p.write(chunk))
      .catch(() => {})
      .finally(() => stdin.resume())
  }
  const onEnd = () => void writing.then(() => p.closeStdin())
  const onResize = () => void p.resize(stdout.columns || 80, stdout.rows || 24).catch(() => {})
  stdin.on('data', onData)
  stdin.once('end', onEnd)
  stdout.on('resize', onResize)
  stdin.resume()
  try {
    const r = await p.wait()
    return r.exitCode >= 0 && r.exitCode <= 255 ? r.exitCode : 1
  } finally {
    stdin.off('data', onData)
    stdin.off('end', onEnd)
    stdout.off('resize', onResize)
    restore()
    stdin.pause()
  }
}
