/** `npm start` on a machine without the Electron binary: one sentence, no build, no stack. */
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
// @ts-expect-error a plain .mjs script without type declarations
import { electronBinary, NO_ELECTRON_MESSAGE } from '../../../scripts/start.mjs'

const projectDir = resolve(import.meta.dirname, '../../..')

describe('npm start', () => {
  it.skipIf(Boolean((electronBinary as () => string | undefined)()))(
    'without an Electron binary, says what is missing and points to cllm serve, at once',
    () => {
      const started = Date.now()
      const run = spawnSync(process.execPath, ['scripts/start.mjs'], { cwd: projectDir, encoding: 'utf8' })
      expect(run.status).toBe(1)
      expect(run.stdout).toBe('')
      expect(run.stderr).toBe(`${NO_ELECTRON_MESSAGE as string}\n`)
      expect(run.stderr).toMatch(/cllm serve/)
      expect(run.stderr).not.toMatch(/\n\s+at /)
      // It did not build first (a build takes tens of seconds).
      expect(Date.now() - started).toBeLessThan(10_000)
    },
  )

  it('finds no binary when the electron package throws (its install script never ran)', () => {
    const fakeRequire = (() => {
      throw new Error('Electron failed to install correctly')
    }) as unknown as NodeJS.Require
    expect((electronBinary as (r: NodeJS.Require) => string | undefined)(fakeRequire)).toBeUndefined()
    const existing = (() => process.execPath) as unknown as NodeJS.Require
    expect((electronBinary as (r: NodeJS.Require) => string | undefined)(existing)).toBe(process.execPath)
  })
})
