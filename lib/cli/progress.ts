/**
 * Progress of long operations, on stderr. On a terminal: bars drawn by
 * cli-progress (one per layer for pulls, steps for builds, bytes with rate
 * and ETA for export/import) and nanospinner spinners, both loaded only
 * then; otherwise (a pipe, a CI log, `NO_COLOR`) plain lines, few enough to
 * read: a line per layer status change, per build step, and at most one a
 * second for bytes.
 */
import type { ProgressEvent } from '../index'
import { fancyProgress, note, size } from './output'

/** Receives an operation's progress events; `stop()` once it settled. */
export interface Progress {
  onProgress(e: ProgressEvent): void
  stop(): void
}

type Bars = typeof import('cli-progress')

function bars(): Bars {
  return require('cli-progress') as Bars
}

const barStyle = { barCompleteChar: '█', barIncompleteChar: '░', hideCursor: true, stream: process.stderr }

/** Progress of a build: `step n/total: INSTRUCTION`, and the build's own lines with `verbose`. */
export function buildProgress(label: string, verbose: boolean): Progress {
  if (!fancyProgress) {
    return {
      onProgress(e) {
        if (e.kind === 'step') note(`${label}: step ${e.step}/${e.total}: ${e.text}`)
        else if (e.kind === 'log' && verbose) note(`${label}:   ${e.text.trimEnd()}`)
      },
      stop() {},
    }
  }
  const { SingleBar } = bars()
  const bar = new SingleBar({ ...barStyle, format: `${label} [{bar}] step {value}/{total} {text}` })
  let started = false
  return {
    onProgress(e) {
      if (e.kind === 'step') {
        if (!started) bar.start(e.total, 0, { text: '' })
        started = true
        bar.setTotal(e.total)
        bar.update(e.step, { text: e.text.slice(0, 60) })
      } else if (e.kind === 'log' && verbose) {
        process.stderr.write('\r\x1b[K')
        note(e.text.trimEnd())
        if (started) bar.render()
      }
    },
    stop() {
      if (started) bar.stop()
    },
  }
}

/** Progress of a pull: one bar per layer with bytes where the engine reports them. */
export function pullProgress(label: string): Progress {
  if (!fancyProgress) {
    const last = new Map<string, string>()
    return {
      onProgress(e) {
        if (e.kind !== 'layer' || last.get(e.id) === e.status) return
        last.set(e.id, e.status)
        note(`${label}: ${e.id ? `${e.id}: ` : ''}${e.status}`)
      },
      stop() {},
    }
  }
  const { MultiBar } = bars()
  const multi = new MultiBar({
    ...barStyle,
    clearOnComplete: false,
    format: (_opts, params, payload: { id: string; status: string; bytes: string }) => {
      const w = 20
      const filled = params.total > 0 ? Math.round((params.value / params.total) * w) : 0
      return `${payload.id.padEnd(12)} [${'█'.repeat(filled)}${'░'.repeat(w - filled)}] ${payload.status} ${payload.bytes}`
    },
  })
  const layers = new Map<string, ReturnType<typeof multi.create>>()
  return {
    onProgress(e) {
      if (e.kind !== 'layer') return
      const id = e.id || label
      let bar = layers.get(id)
      if (!bar) {
        bar = multi.create(1, 0, { id, status: '', bytes: '' })
        layers.set(id, bar)
      }
      const total = e.total ?? 0
      const bytes = e.current !== undefined && total > 0 ? `${size(e.current)} / ${size(total)}` : ''
      if (total > 0) bar.setTotal(total)
      const done = /complete|exists|pulled/i.test(e.status)
      bar.update(done ? (total > 0 ? total : 1) : (e.current ?? 0), { id, status: e.status, bytes })
    },
    stop() {
      multi.stop()
    },
  }
}

/** Progress of moving an archive: bytes so far, of `total` when known, with the rate and the time left. */
export function bytesProgress(label: string, total?: number): Progress {
  const t0 = Date.now()
  const rate = (done: number) => done / Math.max((Date.now() - t0) / 1000, 0.001)
  if (!fancyProgress) {
    let lastAt = 0
    let lastDone = 0
    const line = (done: number) =>
      note(`${label}: ${size(done)}${total ? ` of ${size(total)}` : ''} (${size(rate(done))}/s)`)
    return {
      onProgress(e) {
        if (e.kind !== 'bytes') return
        lastDone = e.done
        if (Date.now() - lastAt < 1000) return
        lastAt = Date.now()
        line(e.done)
      },
      stop() {
        line(lastDone)
      },
    }
  }
  const { SingleBar } = bars()
  const bar = new SingleBar({
    ...barStyle,
    format: total
      ? `${label} [{bar}] {percentage}% {doneText} / {totalText}  {rateText}  ETA {etaText}`
      : `${label} {doneText}  {rateText}`,
  })
  bar.start(total ?? 1, 0, { doneText: size(0), totalText: total ? size(total) : '', rateText: '', etaText: '' })
  return {
    onProgress(e) {
      if (e.kind !== 'bytes') return
      const r = rate(e.done)
      const left = total && r > 0 ? Math.max(0, (total - e.done) / r) : 0
      bar.update(total ? Math.min(e.done, total) : 0, {
        doneText: size(e.done),
        rateText: `${size(r)}/s`,
        etaText: `${Math.ceil(left)}s`,
      })
    },
    stop() {
      bar.stop()
    },
  }
}

/**
 * Runs `work` under a spinner saying `text` on a terminal (nothing
 * otherwise), ending in a ✓ or ✗.
 */
export async function spin<T>(text: string, work: () => Promise<T>): Promise<T> {
  if (!fancyProgress) return work()
  const { createSpinner } = require('nanospinner') as typeof import('nanospinner')
  const s = createSpinner(text, { stream: process.stderr }).start()
  try {
    const out = await work()
    // stop() without options clears the line and ends the timer (clear() alone would keep it spinning).
    s.stop()
    return out
  } catch (err) {
    s.error()
    throw err
  }
}
