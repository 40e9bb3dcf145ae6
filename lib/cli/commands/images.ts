/**
 * Image commands: build (profiles, or a directory), profiles, export,
 * import, images, pull-image. Long ones show progress on stderr.
 */
import { statSync } from 'node:fs'
import {
  buildImage,
  buildProfile,
  exportImages,
  importImages,
  listImages,
  listProfiles,
  pullImage as pull,
  resolveProfile,
} from '../../index'
import { UsageError, type Ctx } from '../context'
import { ago, color, ok, printJson, shortId, size, table } from '../output'
import { buildProgress, bytesProgress, pullProgress, type Progress } from '../progress'

type Opts = Record<string, unknown>

async function withProgress<T>(progress: Progress, work: (p: Progress) => Promise<T>): Promise<T> {
  try {
    return await work(progress)
  } finally {
    progress.stop()
  }
}

export async function build(ctx: Ctx, [profiles]: [string[]], o: Opts): Promise<void> {
  const common = {
    socketPath: ctx.socketPath,
    noCache: o.cache === false,
    buildArgs: o.buildArg as Record<string, string> | undefined,
  }
  const built: Array<{ profile: string | null; image: string; id: string }> = []
  if (o.context !== undefined) {
    if (profiles.length > 0 || o.all) throw new UsageError('--context builds one directory: name no profiles with it')
    const tag = o.tag as string | undefined
    if (!tag) throw new UsageError('--context needs --tag NAME for the image')
    const id = await withProgress(buildProgress(tag, ctx.verbose), (p) =>
      buildImage({
        ...common,
        context: o.context as string,
        dockerfile: o.file as string | undefined,
        tag,
        onProgress: p.onProgress,
      }),
    )
    built.push({ profile: null, image: tag, id })
    if (!ctx.json) ok(`built ${color.cyan(tag)} (${shortId(id)})`)
  } else {
    if (o.tag !== undefined || o.file !== undefined) throw new UsageError('--tag and --file go with --context DIR')
    const names = o.all ? listProfiles().map((p) => p.name) : profiles
    if (names.length === 0)
      throw new UsageError('name the profiles to build, or pass --all (see `pocket-dock profiles`)')
    // Every name is checked before the first build starts.
    const tags = names.map((n) => resolveProfile(n).imageTag)
    for (const [i, name] of names.entries()) {
      const id = await withProgress(buildProgress(tags[i], ctx.verbose), (p) =>
        buildProfile(name, { ...common, onProgress: p.onProgress }),
      )
      built.push({ profile: name, image: tags[i], id })
      if (!ctx.json) ok(`built ${color.cyan(tags[i])} (${shortId(id)})`)
    }
  }
  if (ctx.json) printJson(built)
}

export async function profiles(ctx: Ctx): Promise<void> {
  const all = listProfiles()
  if (ctx.json) return printJson(all)
  table(
    ['NAME', 'IMAGE', 'NETWORK', 'SIZE', 'DESCRIPTION'],
    all.map((p) => [
      color.cyan(p.name),
      p.imageTag,
      p.networkDefault ? color.green('on') : color.yellow('off'),
      p.sizeEstimate,
      p.description,
    ]),
  )
}

export async function exportCmd(ctx: Ctx, _args: unknown[], o: Opts): Promise<void> {
  const output = o.output as string
  const refs = [
    ...((o.image as string[]) ?? []),
    ...((o.profile as string[]) ?? []).map((p) => resolveProfile(p).imageTag),
  ]
  if (o.all) {
    const have = new Set((await listImages({ socketPath: ctx.socketPath })).flatMap((i) => i.tags))
    for (const p of listProfiles()) {
      if (have.has(p.imageTag) || have.has(`${p.imageTag}:latest`)) refs.push(p.imageTag)
    }
    if (refs.length === 0) throw new Error('no profile image is built yet: `pocket-dock build --all` first')
  }
  if (refs.length === 0) throw new UsageError('say what to export: --image REF, --profile NAME or --all')
  const gzip = /\.(gz|tgz)$/.test(output)
  await withProgress(bytesProgress(`export ${output}`), (p) =>
    exportImages(refs, output, { socketPath: ctx.socketPath, gzip, onProgress: p.onProgress }),
  )
  const bytes = statSync(output).size
  if (ctx.json) printJson({ output, images: refs, bytes, gzip })
  else ok(`exported ${refs.join(', ')} to ${output} (${size(bytes)})`)
}

export async function importCmd(ctx: Ctx, [file]: string[]): Promise<void> {
  let total: number
  try {
    total = statSync(file).size
  } catch {
    throw new Error(`cannot read ${file}: no such file (give the path of an archive from \`pocket-dock export\`)`)
  }
  const tags = await withProgress(bytesProgress(`import ${file}`, total), (p) =>
    importImages(file, { socketPath: ctx.socketPath, onProgress: p.onProgress }),
  )
  if (ctx.json) printJson({ file, tags })
  else ok(`imported ${tags.map((t) => color.cyan(t)).join(', ') || 'nothing'}`)
}

export async function images(ctx: Ctx, _args: unknown[], o: Opts): Promise<void> {
  const list = await listImages({ socketPath: ctx.socketPath, all: o.all === true })
  if (ctx.json) return printJson(list)
  if (list.length === 0) {
    process.stderr.write(o.all ? 'no images\n' : 'no pocket-dock images (--all shows every image)\n')
    return
  }
  table(
    ['IMAGE', 'ID', 'SIZE', 'CREATED', 'PROFILE'],
    list.map((i) => [
      i.tags.length > 0 ? color.cyan(i.tags.join(', ')) : color.dim('<untagged>'),
      shortId(i.id),
      size(i.size),
      ago(i.createdAt),
      i.profile ?? '-',
    ]),
  )
}

async function password(): Promise<string> {
  const env = process.env.POCKET_DOCK_REGISTRY_PASSWORD
  if (env !== undefined) return env
  if (process.stdin.isTTY)
    throw new UsageError('--username needs the password in POCKET_DOCK_REGISTRY_PASSWORD or on stdin')
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

export async function pullImage(ctx: Ctx, [ref]: string[], o: Opts): Promise<void> {
  const auth = o.username ? { username: o.username as string, password: await password() } : undefined
  const id = await withProgress(pullProgress(ref), (p) =>
    pull(ref, {
      socketPath: ctx.socketPath,
      auth,
      tlsVerify: o.tlsVerify === false ? false : undefined,
      onProgress: p.onProgress,
    }),
  )
  if (ctx.json) printJson({ ref, id })
  else ok(`pulled ${color.cyan(ref)} (${shortId(id)})`)
}
