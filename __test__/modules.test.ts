// The package's entry points: CommonJS and ESM, `pocket-dock` and
// `pocket-dock/async`, export the same API; the error classes form one tree.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import * as api from 'pocket-dock'

const require = createRequire(__filename)

describe('modules', () => {
  it('require and import of pocket-dock and pocket-dock/async export the same names', async () => {
    const names = (m: object) =>
      Object.keys(m)
        .filter((k) => k !== 'default' && k !== '__esModule')
        .sort()
    const cjs = names(require('pocket-dock'))
    const cjsAsync = names(require('pocket-dock/async'))
    const esm = names(await import('pocket-dock'))
    const esmAsync = names(await import('pocket-dock/async'))
    assert.ok(cjs.includes('createNewContainer') && cjs.includes('AsyncContainer'))
    assert.deepEqual(cjsAsync, cjs)
    assert.deepEqual(esm, cjs)
    assert.deepEqual(esmAsync, cjs)
  })

  it('an ESM program can import named exports', async () => {
    const { execFileSync } = await import('node:child_process')
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { createNewContainer, ContainerGone } from 'pocket-dock'; console.log(typeof createNewContainer, typeof ContainerGone)",
      ],
      { encoding: 'utf8' },
    )
    assert.equal(out.trim(), 'function function')
  })

  it('error classes form one tree and carry stable codes', () => {
    const tree: [new (...a: never[]) => Error, new (...a: never[]) => Error, string][] = [
      [api.SocketError, api.PocketDockError, 'SOCKET_ERROR'],
      [api.SocketConnectionError, api.SocketError, 'SOCKET_CONNECTION_ERROR'],
      [api.SocketCommunicationError, api.SocketError, 'SOCKET_COMMUNICATION_ERROR'],
      [api.PodmanNotRunning, api.SocketError, 'PODMAN_NOT_RUNNING'],
      [api.ContainerError, api.PocketDockError, 'CONTAINER_ERROR'],
      [api.ContainerNotFound, api.ContainerError, 'CONTAINER_NOT_FOUND'],
      [api.ContainerNotRunning, api.ContainerError, 'CONTAINER_NOT_RUNNING'],
      [api.ContainerGone, api.ContainerError, 'CONTAINER_GONE'],
      [api.FileNotFound, api.ContainerError, 'ENOENT'],
      [api.ImageNotFound, api.PocketDockError, 'IMAGE_NOT_FOUND'],
      [api.ImageBuildError, api.PocketDockError, 'BUILD_FAILED'],
      [api.ImagePullError, api.PocketDockError, 'IMAGE_PULL_FAILED'],
      [api.SessionClosed, api.PocketDockError, 'SESSION_CLOSED'],
      [api.ProjectNotInitialized, api.PocketDockError, 'PROJECT_NOT_INITIALIZED'],
      [api.ProjectError, api.PocketDockError, 'PROJECT_ERROR'],
      [api.ProjectConfigError, api.ProjectError, 'PROJECT_CONFIG_ERROR'],
    ]
    for (const [cls, parent, code] of tree) {
      const e = new (cls as unknown as new (m: string) => Error & { code: string })('x')
      assert.ok(e instanceof parent && e instanceof Error, cls.name)
      assert.equal(e.code, code)
      assert.equal(e.name, cls.name)
    }
  })
})
