// The built-in profiles: the table, the shipped build contexts, and each
// profile's Dockerfile built for real on the engine. No registry here serves
// their bases, so each is built with `BASE` swapped for a local stub base
// (scripts/stub-base-context.sh: busybox with stand-ins for apt-get and pip,
// real user tools): that proves the Dockerfile parses, its context packs and
// its steps run, and that the image runs as `sandbox` in /home/sandbox. Then
// the zero-configuration path: `createNewContainer()` with no options runs
// the default profile's image, without a network.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  ImageNotFound,
  buildImage,
  buildProfile,
  createNewContainer,
  listImages,
  listProfiles,
  removeImage,
  resolveProfile,
  version,
} from 'pocket-dock'
import * as sync from 'pocket-dock/sync'
import { engineCli, socketPath } from './helpers'

const STUB = 'pocket-dock-test/stub-base:latest'
const NAMES = ['minimal-python', 'minimal-node', 'minimal-bun', 'dev', 'agent', 'embedded']
const label = { 'pocket-dock-test': 'js' }

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pd-stub-'))
  try {
    execFileSync('bash', [join(__dirname, '..', 'scripts', 'stub-base-context.sh'), dir], { stdio: 'inherit' })
    await buildImage({ context: dir, tag: STUB, socketPath })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
after(async () => {
  for (const p of listProfiles()) await removeImage(p.imageTag, { socketPath, force: true }).catch(() => {})
  await removeImage(STUB, { socketPath, force: true }).catch(() => {})
})

describe('profiles', () => {
  it('six profiles, the default first, each with its build context in the package', () => {
    const profiles = listProfiles()
    assert.deepEqual(
      profiles.map((p) => p.name),
      NAMES,
    )
    for (const p of profiles) {
      assert.equal(p.imageTag, `pocket-dock/${p.name}`)
      assert.ok(existsSync(join(p.dockerfileDir, 'Dockerfile')), p.dockerfileDir)
      assert.ok(p.description.length > 10 && /\d/.test(p.sizeEstimate), p.name)
      assert.deepEqual(resolveProfile(p.name), p)
    }
    assert.equal(profiles.find((p) => p.name === 'minimal-python')?.networkDefault, false)
    assert.equal(profiles.find((p) => p.name === 'dev')?.networkDefault, true)
    assert.deepEqual(sync.listProfiles(), profiles)
  })

  it('an unknown profile is a RangeError naming the known ones, everywhere a profile is taken', async () => {
    const known = /minimal-python, minimal-node, minimal-bun, dev, agent, embedded/
    assert.throws(
      () => resolveProfile('nope'),
      (e: Error) => e instanceof RangeError && known.test(e.message),
    )
    await assert.rejects(buildProfile('nope', { socketPath }), RangeError)
    await assert.rejects(createNewContainer({ profile: 'nope', socketPath, labels: label }), RangeError)
  })

  it("before it is built, the default profile's missing image says how to build it", async () => {
    await removeImage('pocket-dock/minimal-python', { socketPath, force: true }).catch(() => {})
    await assert.rejects(createNewContainer({ socketPath, labels: label }), (e: Error) => {
      assert.ok(e instanceof ImageNotFound, String(e))
      assert.match(e.message, /buildProfile\('minimal-python'\)/)
      assert.match(e.message, /npx pocket-dock build minimal-python/)
      return true
    })
  })

  for (const name of NAMES) {
    it(`${name}: its Dockerfile builds (over the stub base) into a labelled image that runs as sandbox`, async () => {
      const steps: number[] = []
      const id = await buildProfile(name, {
        socketPath,
        buildArgs: { BASE: STUB },
        onProgress: (e) => e.kind === 'step' && steps.push(e.step),
      })
      assert.match(id, /^sha256:/)
      assert.ok(steps.length >= 4, `${name}: ${steps.length} steps`)
      const labels = JSON.parse(
        await engineCli(['inspect', '--format', '{{json .Config.Labels}}', `pocket-dock/${name}`]),
      )
      assert.equal(labels['pocket-dock.profile'], name)
      assert.equal(labels['pocket-dock.version'], version)
      assert.ok(
        (await listImages({ socketPath })).some((i) => i.profile === name && i.id === id),
        'listImages knows the profile image',
      )
      await using c = await createNewContainer({ profile: name, socketPath, labels: label })
      const r = await c.run('id -un; pwd; id -u')
      assert.deepEqual(r.stdout.trim().split('\n'), ['sandbox', '/home/sandbox', '1000'], r.stderr)
      assert.equal((await c.info()).network, resolveProfile(name).networkDefault, `${name}: network default`)
    })
  }

  it('zero configuration: createNewContainer() runs the default profile, offline; explicit options win', async () => {
    await using c = await createNewContainer({ socketPath, labels: label })
    assert.equal((await c.run('id -un')).stdout.trim(), 'sandbox')
    const info = await c.info()
    assert.match(info.image, /pocket-dock\/minimal-python/)
    assert.equal(info.network, false, 'the default profile has no network')
    await using online = await createNewContainer({ network: true, socketPath, labels: label })
    assert.equal((await online.info()).network, true)
    await using asDev = await createNewContainer({
      profile: 'dev',
      image: 'pocket-dock/minimal-python',
      socketPath,
      labels: label,
    })
    assert.match((await asDev.info()).image, /minimal-python/)
    assert.equal((await asDev.info()).network, true, "the profile's network default applies to an explicit image")
  })
})
