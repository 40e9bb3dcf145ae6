import type { NativeExecResult } from '../binding.js'

/** The outcome of a finished command. */
export class ExecResult {
  /** The command's exit code; -1 when it timed out or was aborted. */
  readonly exitCode: number
  /** Everything it printed on stdout (up to `maxOutput`), decoded as UTF-8. */
  readonly stdout: string
  /** Everything it printed on stderr (up to `maxOutput`, shared with stdout). */
  readonly stderr: string
  /** Wall time from start to end, in milliseconds. */
  readonly durationMs: number
  /** The command ran past its timeout and was killed inside the container. */
  readonly timedOut: boolean
  /** Output past `maxOutput` was dropped. */
  readonly truncated: boolean

  /** @internal */
  constructor(r: NativeExecResult) {
    this.exitCode = r.exitCode
    this.stdout = r.stdout
    this.stderr = r.stderr
    this.durationMs = r.durationMs
    this.timedOut = r.timedOut
    this.truncated = r.truncated
  }

  /** `exitCode === 0 && !timedOut`. */
  get ok(): boolean {
    return this.exitCode === 0 && !this.timedOut
  }

  /** The fields above, `ok` included, as a plain object (what `JSON.stringify` prints). */
  toJSON() {
    const { exitCode, stdout, stderr, durationMs, timedOut, truncated, ok } = this
    return { exitCode, stdout, stderr, durationMs, timedOut, truncated, ok }
  }
}
