// dockerode's exec, written as its users write it; the sections and the
// workers all go through this one copy.

/**
 * Creates and starts (hijacked) `/bin/sh -c cmd` in `container`, demuxing
 * stdout and stderr into `sink` (anything with `write(buffer)`). Resolves once
 * started, with the exec and `ended`, which settles when the output ends.
 */
export async function startExec(container, cmd, sink) {
  const exec = await container.exec({ Cmd: ['/bin/sh', '-c', cmd], AttachStdout: true, AttachStderr: true })
  const stream = await exec.start({ hijack: true, stdin: false })
  const ended = new Promise((resolve, reject) => {
    container.modem.demuxStream(stream, sink, sink)
    stream.on('end', resolve)
    stream.on('error', reject)
  })
  return { exec, ended }
}

/**
 * The exec round trip: create, start, read the output to the end, inspect
 * for the exit code (the same three calls raw bollard makes). Throws unless
 * the command exited 0 having printed `expected`.
 */
export async function dockerodeExec(container, cmd, expected) {
  const chunks = []
  const { exec, ended } = await startExec(container, cmd, { write: (b) => chunks.push(b) })
  await ended
  const info = await exec.inspect()
  const output = Buffer.concat(chunks).toString()
  if (info.ExitCode !== 0 || output !== expected) {
    throw new Error(`dockerode exec of \`${cmd}\` exited ${info.ExitCode}, printing ${JSON.stringify(output)}`)
  }
}
