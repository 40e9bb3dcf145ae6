// A node:test reporter that writes, one per line, the test files in which any
// test failed (or which failed to load), to the destination node gives it.
// scripts/test.mjs uses it to run those files once more on their own; the
// suite's own output comes from the spec reporter alongside it.
export default async function* failedFiles(source) {
  const failed = new Set()
  for await (const event of source) {
    if (event.type === 'test:fail' && event.data.file && !failed.has(event.data.file)) {
      failed.add(event.data.file)
      yield `${event.data.file}\n`
    }
  }
}
