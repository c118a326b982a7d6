/** The run-name limit the engine checks is the schema's, and its message says so. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRunDir } from '../../../../../src/main/engine/checkpoints'
import { PathsSection, RUN_NAME_MAX_CHARS } from '../../../../../src/shared/training'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cllm-run-name-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('run names', () => {
  it('accepts a name of the schema’s largest length and refuses one more, naming that limit', async () => {
    const longest = 'r'.repeat(RUN_NAME_MAX_CHARS)
    expect(PathsSection.safeParse({ runName: longest }).success).toBe(true)
    expect(PathsSection.safeParse({ runName: `${longest}r` }).success).toBe(false)
    expect(basename(await createRunDir(dir, longest))).toBe(longest)
    await expect(createRunDir(dir, `${longest}r`)).rejects.toThrow(`(up to ${RUN_NAME_MAX_CHARS} characters)`)
  })
})
