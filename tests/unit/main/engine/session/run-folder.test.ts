import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createChildRunDir, preparedDatasets, runDirName } from '../../../../../src/main/engine/session/run-folder'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cllm-run-folder-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('run folders of a session', () => {
  it('creates a resumed run\'s child beside its parent, or in the folder and under the name the caller gave', async () => {
    const parent = join(root, 'runs', 'notes')
    await mkdir(parent, { recursive: true })
    await writeFile(join(parent, 'run.json'), '{}')
    const checkpoint = join(parent, 'checkpoint_step_40.safetensors')
    expect(await createChildRunDir(checkpoint, 40, undefined)).toBe(join(root, 'runs', 'notes-from-40'))
    expect(await createChildRunDir(checkpoint, 40, {})).toBe(join(root, 'runs', 'notes-from-40-2'))
    expect(await createChildRunDir(checkpoint, 40, { checkpointDir: join(root, 'elsewhere'), runName: 'longer' })).toBe(
      join(root, 'elsewhere', 'longer'),
    )
  })

  it('names a run by its folder', () => {
    expect(runDirName('/a/b/run-1/')).toBe('run-1')
    expect(runDirName('C:\\runs\\run-2')).toBe('run-2')
  })

  it('lists only the folders that hold an encoded dataset, and none for a missing checkpoint folder', async () => {
    const dir = join(root, 'cache')
    await mkdir(join(dir, 'encoded'), { recursive: true })
    await mkdir(join(dir, 'empty'))
    await writeFile(join(dir, 'encoded', 'dataset.json'), '{}')
    await writeFile(join(dir, 'dataset.json'), '{}')
    expect(await preparedDatasets(dir)).toEqual([join(dir, 'encoded')])
    expect(await preparedDatasets(join(root, 'missing'))).toEqual([])
  })
})
