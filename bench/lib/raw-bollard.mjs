// The client of the raw-bollard baseline (bench/raw-bollard).
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/** Its name in the tables; the report helper computes the ratios to it. */
export const RAW = 'raw bollard'

const RAW_BIN = new URL('../../target/raw/raw-bollard', import.meta.url).pathname

/**
 * The raw-bollard baseline, as a long-lived child process that times each
 * operation itself (so the pipe to it is not counted): one JSON line per
 * request, one per answer.
 */
export class RawBollard {
  constructor(socketPath) {
    this.child = spawn(RAW_BIN, [socketPath], { stdio: ['pipe', 'pipe', 'inherit'] })
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]()
  }
  async request(req) {
    this.child.stdin.write(JSON.stringify(req) + '\n')
    const { value } = await this.lines.next()
    const answer = JSON.parse(value)
    if (answer.error) throw new Error(`raw bollard: ${answer.error}`)
    return answer
  }
  close() {
    this.child.stdin.end()
  }
}
