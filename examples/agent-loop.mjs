// An agent-style loop: write files into a sandbox, run the tests, read the
// results, and try again until they pass — what a coding agent does with a
// model's proposals. Here the "model" is a list of attempts at a shell
// function `add`, the first one wrong; swap `propose()` for a model call.
//
//   node examples/agent-loop.mjs
//
// IMAGE (default busybox, pulled if missing) is the sandbox image; CI uses
// the offline test image.
import { createNewContainer } from 'pocket-dock'

const image = process.env.IMAGE || 'busybox:1.36'

const tests = `#!/bin/sh
# Runs the cases, writes one line per failure to results.txt, exits non-zero on any.
. /work/add.sh
: > /work/results.txt
check() { got=$(add "$1" "$2"); [ "$got" = "$3" ] || echo "add $1 $2: want $3, got $got" >> /work/results.txt; }
check 1 2 3
check 0 0 0
check -4 10 6
[ ! -s /work/results.txt ]
`

/** The "model": attempt n, given what failed last time. */
function propose(attempt, failures) {
  const attempts = [
    'add() { echo $(($1 - $2)); }', // wrong on purpose
    'add() { echo $(($1 + $2)); }',
  ]
  if (failures.length) console.log(`  feedback for attempt ${attempt + 1}: ${failures.join('; ')}`)
  return attempts[attempt]
}

const c = await createNewContainer({ image, pull: 'missing', network: false, memLimit: '128m' })
try {
  await c.writeFile('/work/test.sh', tests)
  let failures = []
  let solved = false
  for (let attempt = 0; attempt < 5 && !solved; attempt++) {
    const code = propose(attempt, failures)
    if (!code) break
    await c.writeFile('/work/add.sh', code + '\n')
    const run = await c.run('sh /work/test.sh', { timeout: 10 })
    failures = (await c.readFile('/work/results.txt')).toString().split('\n').filter(Boolean)
    solved = run.ok
    console.log(`attempt ${attempt + 1}: ${solved ? 'all tests pass' : `${failures.length} failing`}`)
  }
  console.log(solved ? 'solved' : 'gave up')
  process.exitCode = solved ? 0 : 1
} finally {
  await c.shutdown()
}
