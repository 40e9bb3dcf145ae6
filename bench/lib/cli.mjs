// The engine's own CLI, pointed at the engine being measured.
import { run } from './measure.mjs'

/**
 * `docker -H unix://…` or `podman --url unix://…` for the engine of `kind` at
 * `socketPath`: its name, its arguments, the environment it runs in, and
 * `run(args)`.
 */
export function engineCli(kind, socketPath) {
  const name = kind === 'podman' ? 'podman' : 'docker'
  const args = kind === 'podman' ? ['--url', `unix://${socketPath}`] : ['-H', `unix://${socketPath}`]
  // The podman CLI needs the containers.conf the engine runs with
  // (scripts/start-engines.sh: without its empty default_ulimits every
  // container fails with "error setting rlimit type 7").
  const env = { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? '/etc/containers/pocket-dock.conf' }
  return { name, args, env, run: (more) => run(name, [...args, ...more], { env }) }
}
