/**
 * Getting started and projects: quickstart, init, status, doctor, logs.
 */
import { listContainers } from '../../index'
import type { Ctx } from '../context'
import { color, fields, printJson, say } from '../output'

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

export async function status(ctx: Ctx): Promise<void> {
  const all = await listContainers({ socketPath: ctx.socketPath })
  const running = all.filter((c) => c.status === 'running').length
  const data = { containers: all.length, running, stopped: all.length - running }
  if (ctx.json) return printJson(data)
  fields([
    [
      'Containers',
      `${data.containers} (${color.green(`${running} running`)}, ${color.yellow(`${data.stopped} stopped`)})`,
    ],
  ])
}
