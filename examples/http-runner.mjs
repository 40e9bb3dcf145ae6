// An HTTP code-runner service on Node's own `http`: POST a shell script to
// /run and get its output back as Server-Sent Events while it runs.
//
//   node examples/http-runner.mjs          # listens on PORT (default 8080)
//   curl -N --data 'echo hi; sleep 1; echo bye' http://127.0.0.1:8080/run
//
// Each request gets a sandbox of its own (no network, 256 MiB, half a core,
// 64 processes, read-only root) that is shut down when the request ends. The
// command has a time limit, and when the client goes away (the request's
// abort signal) the command is killed inside the container.
//
// Events: `stdout` / `stderr` (data: the text as a JSON string), then one
// `exit` (data: `{ exitCode, timedOut }`) or `error` (data: the message).
// IMAGE (default busybox, pulled if missing) is the sandbox image; CI uses
// the offline test image.
import { createServer } from 'node:http'
import { createNewContainer } from 'pocket-dock'

const image = process.env.IMAGE || 'busybox:1.36'
const port = Number(process.env.PORT ?? 8080)
const timeoutSeconds = Number(process.env.RUN_TIMEOUT ?? 10)
const maxScript = 64 * 1024

/** Reads the request body (the script), refusing more than `maxScript` bytes. */
async function readScript(req) {
  let body = ''
  for await (const part of req) {
    body += part
    if (body.length > maxScript) throw new RangeError(`script larger than ${maxScript} bytes`)
  }
  return body
}

const send = (res, event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)

async function runRequest(req, res, id) {
  const script = await readScript(req)
  // `res` closes when the client disconnects: that aborts the command.
  const aborted = new AbortController()
  res.on('close', () => aborted.abort(new Error('client went away')))
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  const container = await createNewContainer({
    image,
    pull: 'missing',
    network: false,
    memLimit: '256m',
    cpuPercent: 50,
    pidsLimit: 64,
    readOnly: true,
    timeout: timeoutSeconds,
  })
  try {
    const stream = await container.run(script, { stream: true, signal: aborted.signal })
    for await (const chunk of stream) send(res, chunk.stream, chunk.data)
    const { exitCode, timedOut } = stream.result
    send(res, 'exit', { exitCode, timedOut })
    console.log(`request ${id}: exit ${exitCode}${timedOut ? ' (timed out)' : ''}`)
  } catch (e) {
    if (e.code === 'ABORT_ERR')
      console.log(`request ${id}: client went away; command killed (exit ${e.result?.exitCode})`)
    else {
      console.log(`request ${id}: ${e.code ?? e.name}: ${e.message}`)
      send(res, 'error', e.message)
    }
  } finally {
    await container.shutdown()
    res.end()
  }
}

let requests = 0
const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/run') {
    res.writeHead(404).end('POST a shell script to /run\n')
    return
  }
  const id = ++requests
  runRequest(req, res, id).catch((e) => {
    console.log(`request ${id}: ${e.message}`)
    if (!res.headersSent) res.writeHead(e instanceof RangeError ? 413 : 500)
    res.end(`${e.message}\n`)
  })
})

server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}/run`))
// Ctrl-C or SIGTERM: stop accepting, let running requests finish their shutdown.
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => server.close())
