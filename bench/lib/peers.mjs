// The containers dockerode and the CLI work on: the same image, keep-alive
// main process and init as pocket-dock's, so every tool starts from the same
// place.

/** The main process: sleeps until stopped, and exits at once on SIGTERM. */
export const KEEPALIVE = ['/bin/sh', '-c', "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"]

/** Marks the peers' containers, so a run that fails midway still removes them all. */
export const PEER_LABEL = 'pocket-dock-bench=peer'
const [labelKey, labelValue] = PEER_LABEL.split('=')

/** A created (not started) container for dockerode and the CLI. */
export function peerContainer(dockerode, image) {
  return dockerode.createContainer({
    Image: image,
    Entrypoint: KEEPALIVE,
    HostConfig: { Init: true },
    Labels: { [labelKey]: labelValue },
  })
}

/** A running peer container. */
export async function startedPeer(dockerode, image) {
  const c = await peerContainer(dockerode, image)
  await c.start()
  return c
}

/** Removes every peer container left on the engine. */
export async function removePeers(dockerode) {
  const left = await dockerode.listContainers({ all: true, filters: { label: [PEER_LABEL] } })
  for (const c of left) await dockerode.getContainer(c.Id).remove({ force: true })
}
