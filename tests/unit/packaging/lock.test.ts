/**
 * package.json and package-lock.json agree, so `npm install` on a fresh clone leaves the lock as it
 * is (npm rewrites the lock's root entry when its engines, dependencies or bin differ), and the
 * engines range is the truth: the CLI, `cllm serve` and the tests run on Node 20.19; only
 * Electron's own tooling asks for 22.12 (README).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const projectDir = resolve(import.meta.dirname, '../../..')
const pkg = JSON.parse(readFileSync(resolve(projectDir, 'package.json'), 'utf8'))
const lock = JSON.parse(readFileSync(resolve(projectDir, 'package-lock.json'), 'utf8'))
const root = lock.packages['']

/** "./bin/cllm.js" is written "bin/cllm.js" in the lock. */
const normalisedBin = (bin: Record<string, string>) =>
  Object.fromEntries(Object.entries(bin).map(([name, path]) => [name, path.replace(/^\.\//, '')]))

describe('package.json and the lock', () => {
  it('agree on what npm compares, so npm install does not rewrite the lock', () => {
    expect(root.name).toBe(pkg.name)
    expect(root.version).toBe(pkg.version)
    expect(root.license).toBe(pkg.license)
    expect(root.engines).toEqual(pkg.engines)
    expect(root.dependencies).toEqual(pkg.dependencies)
    expect(root.devDependencies).toEqual(pkg.devDependencies)
    expect(root.bin).toEqual(normalisedBin(pkg.bin))
  })

  it('pins every dependency exactly, as the lock holds it', () => {
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      expect(version, name).toMatch(/^\d+\.\d+\.\d+$/)
      expect(lock.packages[`node_modules/${name}`]?.version, name).toBe(version)
    }
  })

  it('accepts the Node the CLI runs on (20.19), and the Node this test runs on', () => {
    expect(pkg.engines.node).toBe('>=20.19')
    const [major, minor] = process.versions.node.split('.').map(Number)
    expect(major > 20 || (major === 20 && minor >= 19)).toBe(true)
  })
})
