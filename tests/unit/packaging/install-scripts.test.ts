/**
 * npm 11 skips (and will block by default) dependency install scripts that package.json's
 * `allowScripts` does not cover. Every package in the lockfile with an install script must have a
 * decision there, and the ones the app cannot work without must be allowed.
 */
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

const projectDir = resolve(import.meta.dirname, '../../..')
const manifest = JSON.parse(readFileSync(resolve(projectDir, 'package.json'), 'utf8')) as {
  allowScripts?: Record<string, boolean>
}
const lock = JSON.parse(readFileSync(resolve(projectDir, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; hasInstallScript?: boolean }>
}

/**
 * Why each script must run: electron's postinstall downloads the Electron binary (`npm start`,
 * packaging); esbuild's checks and, if needed, fetches its platform binary (electron-vite, Vite,
 * tsx and the source-mode workers build with it).
 */
const NEEDED = ['electron', 'esbuild']

/** The decision allowScripts records for one installed package, as npm matches it (name or name@version). */
function decision(name: string, version: string | undefined): boolean | undefined {
  const entries = manifest.allowScripts ?? {}
  if (version !== undefined && `${name}@${version}` in entries) return entries[`${name}@${version}`]
  return entries[name]
}

const withScripts = Object.entries(lock.packages)
  .filter(([path, entry]) => path !== '' && entry.hasInstallScript)
  .map(([path, entry]) => ({ name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length), version: entry.version }))

describe('allowScripts in package.json', () => {
  it('the lockfile lists the packages with install scripts (the test reads the right field)', () => {
    expect(withScripts.map((entry) => entry.name)).toEqual(expect.arrayContaining(NEEDED))
  })

  it('records a decision for every package with an install script, so npm never skips one silently', () => {
    const undecided = withScripts.filter((entry) => decision(entry.name, entry.version) === undefined)
    expect(undecided).toEqual([])
  })

  it('allows the scripts the app needs: Electron’s binary download and esbuild’s binary check', () => {
    for (const name of NEEDED) {
      const version = withScripts.find((entry) => entry.name === name)?.version
      expect(decision(name, version), name).toBe(true)
    }
  })

  it('keeps no stale entry for a package that is no longer installed with a script', () => {
    const names = new Set(withScripts.map((entry) => entry.name))
    const stale = Object.keys(manifest.allowScripts ?? {}).filter((key) => !names.has(key.replace(/(?<=.)@[^@]*$/, '')))
    expect(stale).toEqual([])
  })
})
