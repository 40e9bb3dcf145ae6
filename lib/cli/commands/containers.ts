/**
 * Container commands: create, stop, resume, destroy, prune, list, info,
 * reboot, snapshot, push, pull. Over the public API only.
 */
import type { Command } from 'commander'
import {
  createNewContainer,
  destroyContainer,
  listContainers,
  prune as pruneContainers,
  resumeContainer,
  stopContainer,
  type AsyncContainer,
  type ContainerListItem,
  type CreateOptions,
} from '../../index'
import type { Ctx } from '../context'
import { ago, color, duration, fields, note, ok, printJson, shortId, status, table } from '../output'
import { spin } from '../progress'

type Opts = Record<string, unknown>

/** A handle on the managed container `name` (started if it was stopped). */
export function handle(ctx: Ctx, name: string): Promise<AsyncContainer> {
  return resumeContainer(name, { socketPath: ctx.socketPath })
}

/** Asks `question` on stderr; true for y/yes. End of input is no. */
async function confirm(question: string): Promise<boolean> {
  const { createInterface } = require('node:readline') as typeof import('node:readline')
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  const answer = await new Promise<string>((resolve) => {
    rl.question(`${question} [y/N] `, resolve)
    rl.once('close', () => resolve(''))
  })
  rl.close()
  return /^y(es)?$/i.test(answer.trim())
}

export async function create(ctx: Ctx, _args: unknown[], o: Opts, cmd: Command): Promise<number> {
  const persist = o.persist !== false
  const opts: CreateOptions = {
    image: o.image as string | undefined,
    profile: o.profile as string | undefined,
    name: o.name as string | undefined,
    memLimit: o.mem as string | undefined,
    cpuPercent: o.cpu as number | undefined,
    ports: o.port ? Object.fromEntries(o.port as Array<[string, string]>) : undefined,
    volumes: o.volume ? Object.fromEntries(o.volume as Array<[string, string]>) : undefined,
    env: o.env as Record<string, string> | undefined,
    devices: o.device as string[] | undefined,
    labels: o.label as Record<string, string> | undefined,
    workdir: o.workdir as string | undefined,
    project: o.project as string | undefined,
    timeout: o.timeout as number | undefined,
    persist,
    network: cmd.getOptionValueSource('network') === 'cli' ? false : undefined,
    readOnly: o.readOnly === true ? true : undefined,
    pidsLimit: o.pidsLimit as number | undefined,
    init: o.init === false ? false : undefined,
    noNewPrivileges: o.allowNewPrivileges === true ? false : undefined,
    pull: o.pull as CreateOptions['pull'],
    tmpfs: o.tmpfs as Record<string, string> | undefined,
    capDrop: o.capDrop as string[] | undefined,
    capAdd: o.capAdd as string[] | undefined,
    allowDangerous: o.allowDangerous === true ? true : undefined,
    socketPath: ctx.socketPath,
  }
  for (const k of Object.keys(opts) as Array<keyof CreateOptions>) if (opts[k] === undefined) delete opts[k]
  const c = await spin('creating the container', () => createNewContainer(opts))
  if (ctx.json) printJson({ name: c.name, containerId: c.containerId, persist: c.persist, project: c.project })
  else ok(`created ${color.cyan(c.name)} (${shortId(c.containerId)})`)
  if (persist) return 0
  // An ephemeral container ends with this process: hold it until Ctrl-C.
  note(`${c.name} lives until Ctrl-C (it is removed then)`)
  await new Promise<void>((resolve) => {
    // A pending promise does not keep Node alive; a timer does.
    const alive = setInterval(() => {}, 1 << 30)
    const done = () => {
      clearInterval(alive)
      resolve()
    }
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
  })
  await c.shutdown()
  note(`removed ${c.name}`)
  return 0
}

export async function stop(ctx: Ctx, [name]: string[]): Promise<void> {
  await spin(`stopping ${name}`, () => stopContainer(name, { socketPath: ctx.socketPath }))
  if (ctx.json) printJson({ name, stopped: true })
  else ok(`stopped ${color.cyan(name)}`)
}

export async function resume(ctx: Ctx, [name]: string[]): Promise<void> {
  const c = await spin(`starting ${name}`, () => handle(ctx, name))
  if (ctx.json) printJson({ name: c.name, containerId: c.containerId })
  else ok(`${color.cyan(c.name)} is running (${shortId(c.containerId)})`)
}

export async function destroy(ctx: Ctx, [name]: string[], o: Opts): Promise<number> {
  if (!o.yes && !(await confirm(`Stop and remove container ${name}?`))) {
    note('not removed')
    return 1
  }
  await spin(`removing ${name}`, () => destroyContainer(name, { socketPath: ctx.socketPath }))
  if (ctx.json) printJson({ name, removed: true })
  else ok(`removed ${color.cyan(name)}`)
  return 0
}

export async function prune(ctx: Ctx, _args: unknown[], o: Opts): Promise<number> {
  const project = o.project as string | undefined
  const which = project ? ` of project ${project}` : ''
  if (!o.yes && !(await confirm(`Remove every stopped pocket-dock container${which}?`))) {
    note('nothing removed')
    return 1
  }
  const removed = await spin('pruning', () => pruneContainers({ socketPath: ctx.socketPath, project }))
  if (ctx.json) printJson({ removed })
  else ok(`removed ${removed} container${removed === 1 ? '' : 's'}`)
  return 0
}

async function listed(ctx: Ctx, project?: string): Promise<ContainerListItem[]> {
  return listContainers({ socketPath: ctx.socketPath, project })
}

export async function list(ctx: Ctx, _args: unknown[], o: Opts): Promise<void> {
  const items = (await listed(ctx, o.project as string | undefined)).filter((c) => o.all || c.status === 'running')
  if (ctx.json) return printJson(items)
  if (items.length === 0) {
    note(o.all ? 'no containers' : 'no running containers (--all shows stopped ones)')
    return
  }
  table(
    ['NAME', 'ID', 'STATUS', 'IMAGE', 'CREATED', 'PERSIST', 'PROJECT'],
    items.map((c) => [
      color.cyan(c.name),
      shortId(c.id),
      status(c.status),
      c.image,
      ago(c.createdAt),
      c.persist ? 'yes' : 'no',
      c.project ?? '-',
    ]),
  )
}

export async function info(ctx: Ctx, [name]: string[]): Promise<void> {
  // A stopped container is described from the list, not started to be measured.
  const item = (await listed(ctx)).find((c) => c.name === name)
  if (item && item.status !== 'running') {
    if (ctx.json) return printJson(item)
    return fields([
      ['Name', color.cyan(item.name)],
      ['ID', shortId(item.id)],
      ['Status', status(item.status)],
      ['Image', item.image],
      ['Created', ago(item.createdAt)],
      ['Persist', item.persist ? 'yes' : 'no'],
      ['Project', item.project ?? '-'],
    ])
  }
  const i = await (await handle(ctx, name)).info()
  if (ctx.json) return printJson(i)
  const ports = Object.entries(i.ports).map(([c, h]) => `${h}->${c}`)
  fields([
    ['Name', color.cyan(i.name)],
    ['ID', shortId(i.id)],
    ['Status', `${status(i.status)}${i.uptime ? ` for ${duration(i.uptime)}` : ''}`],
    ['Image', i.image],
    ['Created', ago(i.createdAt)],
    ['Memory', `${i.memoryUsage} / ${i.memoryLimit} (${i.memoryPercent.toFixed(1)}%)`],
    ['CPU', `${i.cpuPercent.toFixed(1)}%`],
    ['PIDs', String(i.pids)],
    ['Network', i.network ? (i.ipAddress ?? 'yes') : 'none'],
    ['Ports', ports.join(', ') || '-'],
    ['Kill mode', i.killMode],
  ])
  if (i.processes.length > 0) {
    process.stdout.write('\n')
    table(
      ['PID', 'USER', 'COMMAND'],
      i.processes.map((p) => [String(p.pid), p.user, p.command]),
    )
  }
}

export async function reboot(ctx: Ctx, [name]: string[], o: Opts): Promise<void> {
  const c = await handle(ctx, name)
  await spin(`rebooting ${name}`, () => c.reboot({ fresh: o.fresh === true }))
  if (ctx.json) printJson({ name, containerId: c.containerId, fresh: o.fresh === true })
  else ok(`rebooted ${color.cyan(name)}${o.fresh ? ' from its image' : ''}`)
}

export async function snapshot(ctx: Ctx, [name, image]: string[]): Promise<void> {
  const c = await handle(ctx, name)
  const id = await spin(`committing ${name}`, () => c.snapshot(image))
  if (ctx.json) printJson({ name, image, id })
  else ok(`saved ${color.cyan(name)} as ${image} (${shortId(id)})`)
}

export async function push(ctx: Ctx, [name, src, dest]: string[]): Promise<void> {
  const c = await handle(ctx, name)
  await spin(`copying ${src}`, () => c.push(src, dest))
  if (ctx.json) printJson({ name, src, dest })
  else ok(`copied ${src} -> ${name}:${dest}`)
}

export async function pull(ctx: Ctx, [name, src, dest]: string[]): Promise<void> {
  const c = await handle(ctx, name)
  await spin(`copying ${src}`, () => c.pull(src, dest))
  if (ctx.json) printJson({ name, src, dest })
  else ok(`copied ${name}:${src} -> ${dest}`)
}
