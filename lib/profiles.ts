/**
 * The built-in profiles, the same in the async and sync modules (they touch
 * no engine). The table lives in the core crate; this adds where each build
 * context lies in the installed package (`profiles/<name>/`).
 */
import { join } from 'node:path'
import * as native from '../binding.js'
import { callNativeSync } from './errors'
import { checkString } from './validate'
import type { ProfileInfo } from './types'

/** The package's root: `dist/` (or `esm/`) sits in it. */
const PACKAGE_ROOT = join(__dirname, '..')

/** pocket-dock's version, as `package.json` says. */
export const version: string = (require(join(PACKAGE_ROOT, 'package.json')) as { version: string }).version

function withDir(p: native.NativeProfile): ProfileInfo {
  return { ...p, dockerfileDir: join(PACKAGE_ROOT, 'profiles', p.name) }
}

/** Every built-in profile, the default (`minimal-python`) first. */
export function listProfiles(): ProfileInfo[] {
  return native.listProfiles().map(withDir)
}

/** The profile called `name`; an unknown name is a `RangeError` listing the known ones. */
export function resolveProfile(name: string): ProfileInfo {
  checkString(name, 'resolveProfile(name): name')
  return withDir(callNativeSync(() => native.resolveProfile(name)))
}

/** The `buildImage` options that build profile `name`: its context, its tag, the package version as a build arg. */
export function profileBuild(
  name: string,
  buildArgs: Record<string, string> | undefined,
): { context: string; tag: string; buildArgs: Record<string, string> } {
  const p = resolveProfile(name)
  return { context: p.dockerfileDir, tag: p.imageTag, buildArgs: { POCKET_DOCK_VERSION: version, ...buildArgs } }
}
