// The sync facade, for scripts and tools that are not async: the same
// sandbox calls, blocking. CommonJS, as many such scripts are.
//
//   node examples/sync-script.cjs
//
// IMAGE (default busybox, pulled if missing) is the sandbox image; CI uses
// the offline test image.
const { createNewContainer } = require('pocket-dock/sync')

const image = process.env.IMAGE || 'busybox:1.36'

const c = createNewContainer({ image, pull: 'missing', network: false })
try {
  c.writeFile('/tmp/names.txt', 'carol\nalice\nbob\n')
  const sorted = c.run('sort /tmp/names.txt > /tmp/sorted.txt && wc -l < /tmp/sorted.txt')
  console.log(`sorted ${sorted.stdout.trim()} names, exit ${sorted.exitCode}`)
  console.log(c.readFile('/tmp/sorted.txt').toString().trim().split('\n').join(', '))
  const slow = c.run('sleep 30', { timeout: 1 })
  console.log(`sleep 30 with a 1 s timeout: timedOut=${slow.timedOut}`)
} finally {
  c.shutdown()
}
