/** `npm start` on a machine without the Electron binary: one sentence, no build, no stack. */
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
// @ts-expect-error a plain .mjs script without type declarations
import { electronBinary, NO_ELECTRON_MESSAGE } from '../../../scripts/start.mjs'

const projectDir = resolve(import.meta.dirname, '../../..')

describe('npm start', () => {
  it('without an Electron binary, says what is missing and points to cllm serve, and builds nothing', () => {
    // The script alone in a folder with no node_modules: no Electron package there, on any machine.
    // `npm` and `npx` on its PATH only leave a mark, so a build it started would show.
    const dir = mkdtempSync(join(tmpdir(), 'cllm-start-'))
    try {
      mkdirSync(join(dir, 'scripts'))
      copyFileSync(join(projectDir, 'scripts', 'start.mjs'), join(dir, 'scripts', 'start.mjs'))
      const bin = join(dir, 'bin')
      mkdirSync(bin)
      for (const tool of ['npm', 'npx']) {
        writeFileSync(join(bin, tool), `#!/bin/sh\necho ${tool} >> "${join(dir, 'called')}"\n`)
        chmodSync(join(bin, tool), 0o755)
      }
      const run = spawnSync(process.execPath, ['scripts/start.mjs'], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
      })
      expect(run.status).toBe(1)
      expect(run.stdout).toBe('')
      expect(run.stderr).toBe(`${NO_ELECTRON_MESSAGE as string}\n`)
      expect(run.stderr).toMatch(/cllm serve/)
      expect(run.stderr).not.toMatch(/\n\s+at /)
      expect(existsSync(join(dir, 'called'))).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('finds no binary when the electron package throws (its install script never ran)', () => {
    const fakeRequire = (() => {
      throw new Error('Electron failed to install correctly')
    }) as unknown as NodeJS.Require
    expect((electronBinary as (r: NodeJS.Require) => string | undefined)(fakeRequire)).toBeUndefined()
    const existing = (() => process.execPath) as unknown as NodeJS.Require
    expect((electronBinary as (r: NodeJS.Require) => string | undefined)(existing)).toBe(process.execPath)
  })
})
