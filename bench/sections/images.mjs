// Images: a pull of a multi-layer image from the local registry on
// 127.0.0.1:5000 (scripts/start-registry.sh, started here unless it answers
// already, and stopped at the end only then), the local image removed before
// each pull; and an export of a big image to a file then its import back
// (removed in between), each in a fresh process (bench/images-worker.mjs) for
// its peak RSS. The CLI is `pull`, `save -o` and `load -i` (Podman's with
// --tls-verify=false). Every image made here is removed at the end.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildImage, pullImage, removeImage } from 'pocket-dock'
import { inFreshProcess, interleave, median, run } from '../lib/measure.mjs'
import { report } from '../lib/report.mjs'

const REGISTRY = '127.0.0.1:5000'
const REGISTRY_SCRIPT = new URL('../../scripts/start-registry.sh', import.meta.url).pathname
/** The image pulled: built here, pushed to the registry. */
const LAYERED = `${REGISTRY}/pocket-dock-bench/layers:latest`
/** The image exported and imported. */
const ARCHIVED = 'pocket-dock-bench/archive:latest'

export async function images(context) {
  const { socketPath } = context
  const drop = async (ref) => {
    try {
      await removeImage(ref, { force: true, socketPath })
    } catch (e) {
      if (e.code !== 'IMAGE_NOT_FOUND') throw e
    }
  }
  // Left over by a run that failed midway.
  await drop(LAYERED)
  await drop(ARCHIVED)
  const ours = await ensureRegistry()
  try {
    return [await pulls(context, () => drop(LAYERED)), await archives(context, () => drop(ARCHIVED))].join('\n')
  } finally {
    await drop(LAYERED)
    await drop(ARCHIVED)
    if (ours) await run('bash', [REGISTRY_SCRIPT, 'stop'])
    else await forgetManifest(LAYERED)
  }
}

/** Pull: each tool removes the local image (not timed), then pulls it. */
async function pulls({ socketPath, image, quick, dockerode, cli }, drop) {
  const layers = 4
  const layerMiB = quick ? 4 : 16
  const n = quick ? 2 : 5
  const steps = Array.from({ length: layers }, (_, i) => `RUN head -c ${layerMiB * 2 ** 20} /dev/urandom > /layer-${i}`)
  await buildFrom(image, LAYERED, steps, socketPath)
  const tlsOff = cli.name === 'podman' ? ['--tls-verify=false'] : []
  await cli.run(['push', ...tlsOff, LAYERED])
  const dockerodePull = async () => {
    const answer = await dockerode.pull(LAYERED)
    const events = await new Promise((resolve, reject) =>
      dockerode.modem.followProgress(answer, (err, out) => (err ? reject(err) : resolve(out))),
    )
    const failed = events.find((e) => e.error)
    if (failed) throw new Error(failed.error)
  }
  const pulled = (pull) => async () => {
    await drop()
    const t = performance.now()
    await pull()
    return performance.now() - t
  }
  const tools = [{ name: 'pocket-dock', go: pulled(() => pullImage(LAYERED, { socketPath })) }]
  // Podman's compat pull (what dockerode calls) always speaks HTTPS to a
  // registry that registries.conf does not mark insecure.
  let notApplicable
  try {
    await pulled(dockerodePull)()
    tools.push({ name: 'dockerode', go: pulled(dockerodePull) })
  } catch (e) {
    if (!/HTTP response to HTTPS client/.test(e.message)) throw e
    notApplicable = e.message
  }
  tools.push({ name: `${cli.name} CLI`, go: pulled(() => cli.run(['pull', ...tlsOff, LAYERED])) })
  const samples = await interleave(tools, n, quick ? 0 : 1)
  const rows = Object.entries(samples).map(([tool, ms]) => ({
    tool,
    median: median(ms) / 1000,
    min: Math.min(...ms) / 1000,
    max: Math.max(...ms) / 1000,
  }))
  const columns = [
    { title: 'median s', key: 'median', digits: 2 },
    { title: 'min s', key: 'min', digits: 2 },
    { title: 'max s', key: 'max', digits: 2 },
    { title: 'ratio to fastest', ratioOf: 'median', to: 'fastest', best: 'lowest' },
  ]
  const title = `images: pull of ${layers} layers of ${layerMiB} MiB from ${REGISTRY}, local image removed first, ${n} iterations`
  const table = report(title, rows, columns)
  if (!notApplicable) return table
  const row = `| dockerode | ${columns.map(() => 'n/a').join(' | ')} |`
  return [
    table.replace(/\n$/, `\n${row}\n`),
    `dockerode: not applicable on ${cli.name}: its compat pull cannot reach a plain-HTTP registry (${notApplicable.trim()})`,
    '',
  ].join('\n')
}

/** Export to a file, then import from it, with the image removed in between (not timed). */
async function archives({ socketPath, image, quick, cli }, drop) {
  const bytes = (quick ? 64 : 256) * 2 ** 20
  const n = quick ? 1 : 3
  await buildFrom(image, ARCHIVED, [`RUN head -c ${bytes} /dev/urandom > /payload`], socketPath)
  const work = mkdtempSync(join(tmpdir(), 'pd-bench-images-'))
  const file = join(work, 'archive.tar')
  const worker = (tool, op) => inFreshProcess('images-worker.mjs', tool, op, socketPath, ARCHIVED, file)
  const timed = async (args) => {
    const t = performance.now()
    await cli.run(args)
    return { seconds: (performance.now() - t) / 1000, bytes: statSync(file).size }
  }
  const roundTrip = (exportTo, importFrom) => async () => {
    const out = await exportTo()
    if (out.bytes < bytes) throw new Error(`an archive of ${out.bytes} bytes holds no ${bytes}-byte layer`)
    await drop()
    const back = await importFrom()
    rmSync(file)
    return { out, back }
  }
  const tools = [
    { name: 'pocket-dock', go: roundTrip(...['export', 'import'].map((op) => () => worker('pocket-dock', op))) },
    { name: 'dockerode', go: roundTrip(...['export', 'import'].map((op) => () => worker('dockerode', op))) },
    {
      name: `${cli.name} CLI`,
      go: roundTrip(
        () => timed(['save', '-o', file, ARCHIVED]),
        async () => {
          const r = await timed(['load', '-i', file])
          await cli.run(['image', 'inspect', ARCHIVED])
          return r
        },
      ),
    },
  ]
  const samples = Object.fromEntries(tools.map((t) => [t.name, []]))
  try {
    // Interleaved as lib/measure.mjs's interleave does, keeping each run's result.
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < tools.length; k++) {
        const tool = tools[(i + k) % tools.length]
        samples[tool.name].push(await tool.go())
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  const rows = Object.entries(samples).map(([tool, rs]) => {
    const pick = (f) => (f(rs[0]) === undefined ? undefined : median(rs.map(f)))
    return {
      tool,
      exportSeconds: pick((r) => r.out.seconds),
      importSeconds: pick((r) => r.back.seconds),
      idle: pick((r) => r.out.idleRssMiB),
      exportRss: pick((r) => r.out.peakRssMiB),
      importRss: pick((r) => r.back.peakRssMiB),
    }
  })
  const archiveMiB = samples['pocket-dock'][0].out.bytes / 2 ** 20
  const title = `images: export to a file, then import, of a ${bytes / 2 ** 20} MiB layer (a ${archiveMiB.toFixed(1)} MiB archive), ${n} run(s) each, medians`
  return report(title, rows, [
    { title: 'export s', key: 'exportSeconds', digits: 2 },
    { title: 'export ratio to fastest', ratioOf: 'exportSeconds', to: 'fastest', best: 'lowest' },
    { title: 'import s', key: 'importSeconds', digits: 2 },
    { title: 'import ratio to fastest', ratioOf: 'importSeconds', to: 'fastest', best: 'lowest' },
    { title: 'idle RSS MiB', key: 'idle' },
    { title: 'export peak RSS MiB', key: 'exportRss' },
    { title: 'import peak RSS MiB', key: 'importRss' },
  ])
}

/** Builds `tag` FROM `base` with the Dockerfile lines `steps`. */
async function buildFrom(base, tag, steps, socketPath) {
  const context = mkdtempSync(join(tmpdir(), 'pd-bench-build-'))
  try {
    writeFileSync(join(context, 'Dockerfile'), [`FROM ${base}`, ...steps, ''].join('\n'))
    await buildImage({ context, tag, socketPath })
  } finally {
    rmSync(context, { recursive: true, force: true })
  }
}

const answers = async () => {
  try {
    return (await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(2000) })).ok
  } catch {
    return false
  }
}

/** Starts the registry unless it answers; whether this run started it. */
async function ensureRegistry() {
  if (await answers()) return false
  await run('bash', [REGISTRY_SCRIPT])
  return true
}

/** Deletes `ref`'s manifest from a registry this run did not start (its blobs wait for the registry's GC). */
async function forgetManifest(ref) {
  const [, name, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(ref)
  const manifests = `http://${REGISTRY}/v2/${name}/manifests`
  const accept = ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json']
  const head = await fetch(`${manifests}/${tag}`, { method: 'HEAD', headers: { Accept: accept.join(', ') } })
  const digest = head.ok && head.headers.get('docker-content-digest')
  if (digest) await fetch(`${manifests}/${digest}`, { method: 'DELETE' })
}
