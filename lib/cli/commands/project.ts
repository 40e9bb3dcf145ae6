/**
 * Getting started and projects: quickstart, init, status, doctor, logs.
 * `logs` reads the instances' `history.jsonl` files (docs/cli.md), found
 * through `projectInfo()`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import {
  doctor as checkProject,
  engines,
  findProjectRoot,
  initProject,
  listContainers,
  ping,
  projectInfo,
  type EngineStatus,
  type HistoryLine,
} from '../../index'
import type { Ctx } from '../context'
import { ago, color, fields, note, ok, printJson, printJsonLine, say, status as paint, table } from '../output'

type Opts = Record<string, unknown>

export async function quickstart(ctx: Ctx): Promise<void> {
  const steps: Array<[string, string[]]> = [
    ['Needs', ['Node.js 22+, and Podman or Docker running (pocket-dock finds its socket)']],
    ['Build the default image (once)', ['pocket-dock build minimal-python']],
    ['Create a sandbox', ['pocket-dock create --name box']],
    [
      'Run commands',
      ['pocket-dock run box -- python3 -c "print(6*7)"', "echo 'print(1+1)' | pocket-dock run box -- python3 -"],
    ],
    ['Open a shell', ['pocket-dock shell box']],
    ['Move files', ['pocket-dock push box ./data /home/sandbox/data', 'pocket-dock pull box /home/sandbox/out.txt .']],
    ['See what runs', ['pocket-dock list', 'pocket-dock info box']],
    ['Keep history per project', ['pocket-dock init', 'pocket-dock logs box']],
    ['Clean up', ['pocket-dock destroy box -y']],
    [
      'Offline machines',
      ['pocket-dock export --all -o images.tar.gz   # here', 'pocket-dock import images.tar.gz          # there'],
    ],
  ]
  if (ctx.json) return printJson(steps.map(([title, commands]) => ({ title, commands })))
  say(color.bold('pocket-dock quickstart'))
  for (const [title, commands] of steps) {
    say(`\n${color.bold(title)}`)
    for (const c of commands) say(`  ${c.startsWith('Node') ? c : color.cyan(c)}`)
  }
  say(`\nEvery command has --help; the guide is docs/cli.md.`)
}

export async function init(ctx: Ctx, [path]: string[], o: Opts): Promise<void> {
  const root = initProject(path, o.name === undefined ? {} : { projectName: o.name as string })
  const info = projectInfo(root)
  if (ctx.json) return printJson({ root, projectName: info.projectName })
  ok(`project ${color.cyan(info.projectName)} at ${root}`)
  note(`settings: ${join(root, '.pocket-dock', 'pocket-dock.yaml')}`)
}

export async function status(ctx: Ctx): Promise<void> {
  const root = findProjectRoot()
  const project = root === null ? null : projectInfo(root)
  // The engine asked for, or every configured one (each probed at once).
  const probed: EngineStatus[] =
    ctx.socketPath === undefined ? await engines() : [await ping({ socketPath: ctx.socketPath })]
  const all = await listContainers({ socketPath: ctx.socketPath, project: project?.projectName })
  const running = all.filter((c) => c.status === 'running').length
  const instances = project && existsSync(project.instancesDir) ? readdirSync(project.instancesDir).length : 0
  const data = {
    project: project && { name: project.projectName, root: project.root, instances },
    engines: probed.map((e) => ({ ...e, error: e.error === null ? null : e.error.message })),
    containers: all.length,
    running,
    stopped: all.length - running,
  }
  if (ctx.json) return printJson(data)
  const pairs: Array<[string, string]> = []
  if (project) {
    pairs.push(['Project', color.cyan(project.projectName)], ['Root', project.root], ['Instances', String(instances)])
  } else pairs.push(['Project', color.dim('none here (`pocket-dock init` makes one)')])
  pairs.push([
    'Containers',
    `${data.containers} (${color.green(`${running} running`)}, ${color.yellow(`${data.stopped} stopped`)})`,
  ])
  fields(pairs)
  say('')
  table(
    ['ENGINE', 'FOUND BY', 'STATUS', 'VERSION', 'PING'],
    probed.map((e) => [
      color.cyan(e.host),
      e.source,
      e.ok ? color.green('answers') : color.red('no answer'),
      e.ok ? `${e.kind} ${e.version}` : color.dim(e.error?.message.split(/[.:]/)[0] ?? ''),
      e.latencyMs === null ? '' : `${e.latencyMs.toFixed(1)} ms`,
    ]),
  )
  if (all.length > 0) {
    say('')
    table(
      ['NAME', 'STATUS', 'IMAGE', 'CREATED'],
      all.map((c) => [color.cyan(c.name), paint(c.status), c.image, ago(c.createdAt)]),
    )
  }
}

export async function doctor(ctx: Ctx): Promise<number> {
  const r = await checkProject({ socketPath: ctx.socketPath })
  const clean = r.orphanedContainers.length === 0 && r.staleInstanceDirs.length === 0
  if (ctx.json) printJson(r)
  else {
    ok(`${r.healthy} container${r.healthy === 1 ? '' : 's'} with their instance directory`)
    if (r.orphanedContainers.length > 0) {
      say(`${color.yellow('!')} no instance directory: ${r.orphanedContainers.join(', ')}`)
    }
    if (r.staleInstanceDirs.length > 0) {
      say(`${color.yellow('!')} instance directory without a container: ${r.staleInstanceDirs.join(', ')}`)
    }
  }
  return clean ? 0 : 1
}

/** `2026-12-05 22:34:01` in the local time zone. */
function localTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/** A history line with the container it belongs to. */
type Entry = HistoryLine & { container: string }

/** Reads the new complete lines of each history file since `offsets` (updated). */
function readHistory(dir: string, names: string[], offsets: Map<string, number>): Entry[] {
  const out: Entry[] = []
  for (const name of names) {
    const file = join(dir, name, 'history.jsonl')
    let size: number
    try {
      size = statSync(file).size
    } catch {
      continue
    }
    const from = offsets.get(file) ?? 0
    if (size <= from) continue
    const text = readFileSync(file).subarray(from, size).toString('utf8')
    const end = text.lastIndexOf('\n') + 1
    offsets.set(file, from + Buffer.byteLength(text.slice(0, end)))
    for (const line of text.slice(0, end).split('\n')) {
      if (!line.trim()) continue
      try {
        out.push({ ...(JSON.parse(line) as HistoryLine), container: name })
      } catch {
        // A torn or foreign line is skipped, as `tail` would show it but no parser could.
      }
    }
  }
  return out.sort((a, b) => a.time.localeCompare(b.time))
}

export async function logs(ctx: Ctx, [name]: [string | undefined], o: Opts): Promise<void> {
  const project = projectInfo()
  const dir = project.instancesDir
  const names = () => (name ? [name] : existsSync(dir) ? readdirSync(dir) : [])
  if (name && !existsSync(join(dir, name))) {
    throw new Error(
      `no history for ${name} in project ${project.projectName}: only persistent containers created in the project keep one (\`pocket-dock list --all --project ${project.projectName}\`)`,
    )
  }
  const type = o.type as string | undefined
  const keep = (e: Entry) => type === undefined || e.kind === type
  const offsets = new Map<string, number>()
  const shown = readHistory(dir, names(), offsets)
    .filter(keep)
    .slice(-(o.last as number))
  const wide = process.stdout.columns ?? 120
  const row = (e: Entry) => [
    color.dim(localTime(new Date(e.time))),
    color.cyan(e.container),
    e.kind,
    e.timedOut ? color.yellow('timeout') : e.exitCode === 0 ? color.green('0') : color.red(String(e.exitCode)),
    `${Math.round(e.durationMs)} ms`,
    e.command.replace(/\s+/g, ' ').slice(0, Math.max(20, wide - 70)),
  ]
  if (ctx.json) shown.forEach((e) => printJsonLine(e))
  else if (shown.length > 0) table(['TIME', 'CONTAINER', 'KIND', 'EXIT', 'TOOK', 'COMMAND'], shown.map(row))
  else if (!o.follow) note('no history yet')
  if (!o.follow) return
  // Follow: new lines as they are written, until Ctrl-C.
  for (;;) {
    await new Promise((r) => setTimeout(r, 500))
    for (const e of readHistory(dir, names(), offsets).filter(keep)) {
      if (ctx.json) printJsonLine(e)
      else say(row(e).join('  '))
    }
  }
}
