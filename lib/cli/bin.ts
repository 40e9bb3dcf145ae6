#!/usr/bin/env node
/**
 * The `pocket-dock` command. `--version` is answered from `package.json`
 * before anything else loads (the argument parser, the native addon); every
 * other command goes through `program.ts`, which loads a command's module
 * only when that command runs. See docs/cli.md.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const args = process.argv.slice(2)
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }
  process.stdout.write(`${pkg.version}\n`)
} else {
  ;(require('./program') as typeof import('./program')).main(process.argv)
}
