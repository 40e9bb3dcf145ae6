/**
 * The command line: every command, its options and help (with examples),
 * built with commander. A command's module (`commands/*.ts`) and the native
 * addon are loaded only when that command runs, so `--help` and usage
 * errors never load the addon. Exit codes: 0, the command's own for `run`,
 * 1 on errors (one line, the typed error's message; `--verbose` adds the
 * details), 2 on usage errors (with the command's help), 130 on Ctrl-C.
 */
import { Command, Option } from 'commander'
import {
  collect,
  checkHost,
  contextOf,
  type GlobalFlags,
  parseEnv,
  parseMem,
  parsePair,
  parsePort,
  parseTmpfs,
  parseVolume,
  positive,
  UsageError,
  wholeNumber,
  type Ctx,
} from './context'

type Handler = (ctx: Ctx, args: unknown[], opts: Record<string, unknown>, cmd: Command) => Promise<number | void>

// Each command module, loaded on first use (`typeof import` is only a type).
const modules = {
  containers: () => require('./commands/containers') as typeof import('./commands/containers'),
  run: () => require('./commands/run') as typeof import('./commands/run'),
  shell: () => require('./commands/shell') as typeof import('./commands/shell'),
  images: () => require('./commands/images') as typeof import('./commands/images'),
  project: () => require('./commands/project') as typeof import('./commands/project'),
}
type Modules = typeof modules

/** The exit code a finished command asked for. */
let exitCode = 0

function lazy<M extends keyof Modules>(mod: M, fn: keyof ReturnType<Modules[M]>) {
  return async (...all: unknown[]) => {
    const cmd = all[all.length - 1] as Command
    try {
      const ctx: Ctx = contextOf(cmd.optsWithGlobals() as GlobalFlags)
      const handler = (modules[mod]() as unknown as Record<string, Handler>)[fn as string]
      exitCode = (await handler(ctx, all.slice(0, -2), cmd.opts(), cmd)) ?? 0
    } catch (err) {
      // Bad input the API refused before reaching the engine is a usage
      // error too: the message, the command's help, exit 2.
      if (err instanceof UsageError || err instanceof TypeError || err instanceof RangeError) {
        cmd.error(`error: ${err.message}`, { exitCode: 2, code: 'pocket-dock.usage' })
      }
      throw err
    }
  }
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`
}

/** The whole command tree (exported for docs and tests of the help text). */
export function buildProgram(): Command {
  const program = new Command('pocket-dock')
  program
    .description('Local container sandboxes on Docker or Podman: create, run, shell, files, images.')
    .version(readVersion(), '-V, --version', 'print the version')
    .option('--socket <path>', "the engine's Unix socket (default: POCKET_DOCK_SOCKET, DOCKER_HOST, then discovery)")
    .addOption(
      new Option(
        '--host <url>',
        'the engine: unix:///path, tcp://host:port, ssh://user@host[:port] (docs/remote.md)',
      ).argParser(checkHost),
    )
    .option(
      '--tlscacert <file>',
      'with a tcp:// --host: the CA that signed the engine certificate (the only one trusted)',
    )
    .option('--tlscert <file>', 'with --tlscacert: the client certificate the engine checks')
    .option('--tlskey <file>', "with --tlscert: the client certificate's key")
    .option('--allow-insecure', 'allow plain (unencrypted) TCP to a host other than loopback')
    .option('--json', 'print data as JSON (JSON Lines for streams and logs), nothing else on stdout')
    .option('--verbose', 'more detail: error details, build output')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError()
    .showSuggestionAfterError()
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .exitOverride()
    .addHelpText(
      'after',
      examples(
        'pocket-dock quickstart',
        'pocket-dock create --name box -p 8080:80',
        'pocket-dock run box -- python3 -c "print(6*7)"',
        'pocket-dock shell box',
        'pocket-dock destroy box -y',
      ) + '\nEvery command takes --help. Guide: docs/cli.md\n',
    )

  // --- getting started and projects ---
  program
    .command('quickstart')
    .description('show how to get started')
    .addHelpText('after', examples('pocket-dock quickstart'))
    .action(lazy('project', 'quickstart'))
  program
    .command('init')
    .description('make PATH (default: here) a pocket-dock project (.pocket-dock/)')
    .argument('[path]', 'the project directory', '.')
    .option('--name <name>', 'the project name (default: the directory name)')
    .addHelpText('after', examples('pocket-dock init', 'pocket-dock init ./app --name app'))
    .action(lazy('project', 'init'))
  program
    .command('status')
    .description("the current project (if any) and its containers; else all of pocket-dock's")
    .addHelpText('after', examples('pocket-dock status', 'pocket-dock status --json'))
    .action(lazy('project', 'status'))
  program
    .command('doctor')
    .description('check the current project: orphaned containers, stale instance directories')
    .addHelpText('after', examples('pocket-dock doctor', 'pocket-dock doctor --json'))
    .action(lazy('project', 'doctor'))
  program
    .command('logs')
    .description("the run history of the project's containers (all, or NAME's)")
    .argument('[name]', 'one container')
    .option('--last <n>', 'only the last N entries', wholeNumber, 20)
    .addOption(new Option('--type <type>', 'only entries of this kind').choices(['run', 'stream', 'detach', 'session']))
    .option('-f, --follow', 'keep printing new entries as they come')
    .addHelpText('after', examples('pocket-dock logs', 'pocket-dock logs box --last 5 --json', 'pocket-dock logs -f'))
    .action(lazy('project', 'logs'))

  // --- containers ---
  program
    .command('create')
    .description('create and start a container (kept until destroyed, unless --no-persist)')
    .option('--image <ref>', "the image (default: the profile's, pocket-dock/minimal-python)")
    .option('--profile <name>', 'a built-in profile (see `pocket-dock profiles`)')
    .option('--name <name>', 'the container name (default pd-<8 hex>)')
    .option('--mem <size>', 'memory limit, e.g. 256m, 1g', parseMem)
    .option('--cpu <percent>', 'CPU limit, percent of one core (1-100)', positive())
    .option('-p, --port <host:container>', 'publish a port (repeatable; host 0 = any free port)', parsePort)
    .option('-v, --volume <host:container[:ro]>', 'bind-mount a host directory (repeatable)', parseVolume)
    .option('-e, --env <key=value>', 'an environment variable (repeatable)', parseEnv)
    .option('--device <path>', 'pass a host device through (repeatable)', collect)
    .option('-l, --label <key=value>', 'a label (repeatable)', parsePair)
    .option('-w, --workdir <dir>', 'the working directory (absolute)')
    .option('--project <name>', 'the project it belongs to')
    .option('--timeout <seconds>', 'default timeout of its commands (default 30; "inf" for none)', positive(true))
    .option('--persist', 'keep it until `destroy` (the default)')
    .option('--no-persist', 'remove it when this command ends: it stays in the foreground until Ctrl-C')
    .option('--no-network', 'no network at all (default: the profile says)')
    .option('--read-only', 'a read-only root file system (/tmp, /home/sandbox stay writable)')
    .option('--pids-limit <n>', 'most processes at once (default 1024)', wholeNumber)
    .option('--no-init', 'no init process as PID 1')
    .option('--allow-new-privileges', 'let setuid binaries gain privileges (off by default)')
    .option('--tmpfs <path[:options]>', 'a tmpfs mount, e.g. /scratch:size=64m (repeatable)', parseTmpfs)
    .option('--cap-drop <cap>', 'drop a capability, e.g. ALL or NET_RAW (repeatable)', collect)
    .option('--cap-add <cap>', 'add a capability back (repeatable)', collect)
    .option('--allow-dangerous', 'let --cap-add grant capabilities that break the sandbox (SYS_ADMIN, …)')
    .addOption(new Option('--pull <policy>', 'pull the image first').choices(['never', 'missing', 'always']))
    .addHelpText(
      'after',
      examples(
        'pocket-dock create --name box',
        'pocket-dock create --name web --profile dev -p 8080:80 --mem 512m --cpu 50',
        'pocket-dock create --image alpine:3 --pull missing -v ./src:/work:ro -e DEBUG=1',
        'pocket-dock create --no-persist      # until Ctrl-C',
      ),
    )
    .action(lazy('containers', 'create'))
  program
    .command('run')
    .description("run a command in a container; exits with the command's code (124 on timeout)")
    .argument('<name>', 'the container')
    .argument('<command...>', 'the command: one argument runs with sh -c, several as an argv (no shell)')
    .option('--timeout <seconds>', "kill it after this long (default: the container's, 30 s)", positive(true))
    .option('--max-output <bytes>', 'keep at most this much output (default 10 MiB)', wholeNumber)
    .addOption(new Option('--lang <lang>', 'run the command as code of').choices(['sh', 'bash', 'python', 'node']))
    .option('--stream', 'print output as it comes')
    .option('-d, --detach', 'start it in the background and print its id')
    .option('-e, --env <key=value>', 'an environment variable (repeatable)', parseEnv)
    .option('-w, --workdir <dir>', 'the working directory (absolute)')
    .option('-u, --user <user>', 'run as this user (name or uid[:gid])')
    .option('--no-stdin', "do not pass this command's stdin on when it is not a terminal")
    .addHelpText(
      'after',
      examples(
        'pocket-dock run box -- ls -la /home/sandbox',
        "pocket-dock run box 'echo $HOME && uname -a'",
        "pocket-dock run box --lang python 'print(6*7)'",
        'pocket-dock run box --stream --timeout 300 -- make test',
        'echo hello | pocket-dock run box -- wc -c',
        'pocket-dock run box --json -- cat /etc/os-release',
      ),
    )
    .action(lazy('run', 'run'))
  program
    .command('shell')
    .description('an interactive shell in a container (a real terminal)')
    .argument('<name>', 'the container')
    .option('--shell <path>', 'the shell to start (default: bash if the container has it, else sh)')
    .option('-u, --user <user>', 'run as this user')
    .option('-w, --workdir <dir>', 'start in this directory')
    .addHelpText('after', examples('pocket-dock shell box', 'pocket-dock shell box --user root --shell /bin/sh'))
    .action(lazy('shell', 'shell'))
  program
    .command('push')
    .description('copy a host file or directory into a container')
    .argument('<name>', 'the container')
    .argument('<src>', 'the host path')
    .argument('<dest>', 'the container path (absolute), naming the copy')
    .addHelpText('after', examples('pocket-dock push box ./src /home/sandbox/src'))
    .action(lazy('containers', 'push'))
  program
    .command('pull')
    .description('copy a file or directory out of a container')
    .argument('<name>', 'the container')
    .argument('<src>', 'the container path (absolute)')
    .argument('<dest>', 'the host path, naming the copy')
    .addHelpText('after', examples('pocket-dock pull box /home/sandbox/out.csv ./out.csv'))
    .action(lazy('containers', 'pull'))
  program
    .command('reboot')
    .description('restart a container (files kept), or recreate it with --fresh')
    .argument('<name>', 'the container')
    .option('--fresh', 'recreate it from its image with the same configuration (files are lost)')
    .addHelpText('after', examples('pocket-dock reboot box', 'pocket-dock reboot box --fresh'))
    .action(lazy('containers', 'reboot'))
  program
    .command('stop')
    .description('stop a container (kept; `resume` starts it again)')
    .argument('<name>', 'the container')
    .addHelpText('after', examples('pocket-dock stop box'))
    .action(lazy('containers', 'stop'))
  program
    .command('resume')
    .description('start a stopped container again')
    .argument('<name>', 'the container')
    .addHelpText('after', examples('pocket-dock resume box'))
    .action(lazy('containers', 'resume'))
  program
    .command('destroy')
    .alias('shutdown')
    .description('stop and remove a container')
    .argument('<name>', 'the container')
    .option('-y, --yes', 'do not ask')
    .addHelpText('after', examples('pocket-dock destroy box', 'pocket-dock shutdown box -y'))
    .action(lazy('containers', 'destroy'))
  program
    .command('prune')
    .description('remove stopped containers (and ephemeral ones whose process is gone)')
    .option('-y, --yes', 'do not ask')
    .option('--project <name>', 'only those of this project')
    .addHelpText('after', examples('pocket-dock prune', 'pocket-dock prune -y --project app'))
    .action(lazy('containers', 'prune'))
  program
    .command('list')
    .alias('ls')
    .description('the running containers pocket-dock manages (--all: stopped ones too)')
    .option('-a, --all', 'stopped ones too')
    .option('--project <name>', 'only those of this project')
    .addHelpText('after', examples('pocket-dock list', 'pocket-dock list --all --json'))
    .action(lazy('containers', 'list'))
  program
    .command('info')
    .description('a live picture of a container: status, uptime, memory, CPU, ports, processes')
    .argument('<name>', 'the container')
    .addHelpText('after', examples('pocket-dock info box', 'pocket-dock info box --json'))
    .action(lazy('containers', 'info'))
  program
    .command('snapshot')
    .description("save a container's files as an image")
    .argument('<name>', 'the container')
    .argument('<image>', 'the image name (name or name:tag)')
    .addHelpText('after', examples('pocket-dock snapshot box box-image:v1'))
    .action(lazy('containers', 'snapshot'))

  // --- images ---
  program
    .command('build')
    .description('build profile images (or a directory with --context/--tag)')
    .argument('[profiles...]', 'profiles to build (see `pocket-dock profiles`)')
    .option('--all', 'every profile')
    .option('--no-cache', "ignore the engine's build cache")
    .option('--build-arg <key=value>', 'an ARG value (repeatable), e.g. BASE=my-mirror/python:3.12-slim', parsePair)
    .option('--context <dir>', 'build this directory (its Dockerfile) instead of a profile')
    .option('-t, --tag <name>', 'the image name for --context')
    .option('-f, --file <dockerfile>', 'the Dockerfile inside --context')
    .addHelpText(
      'after',
      examples(
        'pocket-dock build minimal-python',
        'pocket-dock build --all --no-cache',
        'pocket-dock build --context ./sandbox --tag my/sandbox:1',
      ),
    )
    .action(lazy('images', 'build'))
  program
    .command('profiles')
    .description('the built-in profiles: image, network default, size')
    .addHelpText('after', examples('pocket-dock profiles', 'pocket-dock profiles --json'))
    .action(lazy('images', 'profiles'))
  program
    .command('export')
    .description('write images to a tar archive (gzip if FILE ends in .gz) for machines without a registry')
    .option('--image <ref>', 'an image (repeatable)', collect)
    .option('--profile <name>', "a profile's image (repeatable)", collect)
    .option('--all', "every profile's image that is built")
    .requiredOption('-o, --output <file>', 'the archive to write')
    .addHelpText(
      'after',
      examples('pocket-dock export --all -o images.tar.gz', 'pocket-dock export --image my/app:1 -o app.tar'),
    )
    .action(lazy('images', 'exportCmd'))
  program
    .command('import')
    .description('load the images of a tar archive (from export or docker save; plain or gzip)')
    .argument('<file>', 'the archive')
    .addHelpText('after', examples('pocket-dock import images.tar.gz'))
    .action(lazy('images', 'importCmd'))
  program
    .command('images')
    .description("pocket-dock's images (--all: every image on the engine)")
    .option('-a, --all', 'every image')
    .addHelpText('after', examples('pocket-dock images', 'pocket-dock images --all --json'))
    .action(lazy('images', 'images'))
  program
    .command('pull-image')
    .description('pull an image from a registry')
    .argument('<ref>', 'the image reference')
    .option('--username <user>', 'registry user; the password comes from POCKET_DOCK_REGISTRY_PASSWORD or stdin')
    .option('--no-tls-verify', "do not verify the registry's certificate (plain HTTP for insecure registries)")
    .addHelpText('after', examples('pocket-dock pull-image localhost:5000/tools:1'))
    .action(lazy('images', 'pullImage'))
  return program
}

function readVersion(): string {
  const { readFileSync } = require('node:fs') as typeof import('node:fs')
  const { join } = require('node:path') as typeof import('node:path')
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version
}

/** Runs the command line `argv` and exits with its code. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram()
  let code: number
  try {
    await program.parseAsync(argv)
    code = exitCode
  } catch (err) {
    code = (require('./report') as typeof import('./report')).report(err, argv.includes('--verbose'))
  }
  finish(code)
}

/** Exits with `code` once stdout has been written out (a pipe may still hold data). */
function finish(code: number): void {
  process.exitCode = code
  process.stdout.write('', () => process.exit(code))
}
