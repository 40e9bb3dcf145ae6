import type { NativeExecResult } from '../binding.js'

/** The outcome of a finished command; `T` is `Buffer` with `encoding: 'buffer'`. */
export class ExecResult<T extends string | Buffer = string> {
  /** The command's exit code; -1 when it timed out or was aborted. */
  readonly exitCode: number
  /** Everything it printed on stdout (up to `maxOutput`), decoded as UTF-8 (bytes with `encoding: 'buffer'`). */
  readonly stdout: T
  /** Everything it printed on stderr (up to `maxOutput`, shared with stdout). */
  readonly stderr: T
  /** Wall time from start to end, in milliseconds. */
  readonly durationMs: number
  /** The command ran past its timeout and was killed inside the container. */
  readonly timedOut: boolean
  /** Output past `maxOutput` was dropped. */
  readonly truncated: boolean
  /**
   * The command was killed by the kernel's OOM killer (the container's
   * `memLimit` was reached), not by a plain signal: its exit code is 137.
   */
  readonly oomKilled: boolean

  /** @internal */
  constructor(r: NativeExecResult) {
    this.exitCode = r.exitCode
    this.stdout = (r.stdoutBytes ?? r.stdout) as T
    this.stderr = (r.stderrBytes ?? r.stderr) as T
    this.durationMs = r.durationMs
    this.timedOut = r.timedOut
    this.truncated = r.truncated
    this.oomKilled = r.oomKilled
  }

  /** `exitCode === 0 && !timedOut`. */
  get ok(): boolean {
    return this.exitCode === 0 && !this.timedOut
  }

  toJSON() {
    const { exitCode, stdout, stderr, durationMs, timedOut, truncated, oomKilled, ok } = this
    return { exitCode, stdout, stderr, durationMs, timedOut, truncated, oomKilled, ok }
  }
}
