import { spawnSync } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  removeStaleTempFiles,
  tempPathFor,
  writeFileAtomic,
} from '../../../../../src/main/engine/checkpoints/atomic-write'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cllm-atomic-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

/** The pid of a process that has exited (and so cannot be writing anything). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  })
  return Number(child.stdout)
}

describe('temporary files of killed writes', () => {
  it('names a temporary file after the writing process', () => {
    expect(tempPathFor(join(dir, 'a.safetensors'))).toMatch(
      new RegExp(`a\\.safetensors\\.tmp-${process.pid}-[0-9a-f]{12}$`),
    )
  })

  it('removes those whose writer is gone, keeps those of live processes and other files', async () => {
    const dead = deadPid()
    await writeFile(join(dir, `checkpoint_step_3.safetensors.tmp-${dead}-0123456789ab`), 'torn')
    await writeFile(join(dir, 'run.json.tmp-0123456789ab'), 'torn, older naming')
    await writeFile(join(dir, `final_model.safetensors.tmp-${process.pid}-0123456789ab`), 'ours')
    await writeFile(join(dir, `x.safetensors.tmp-1-0123456789ab`), 'pid 1 lives')
    await writeFile(join(dir, 'notes.tmp-file.txt'), 'not ours at all')
    await writeFileAtomic(join(dir, 'kept.safetensors'), ['whole'])

    const removed = await removeStaleTempFiles(dir)
    expect(removed.sort()).toEqual([
      `checkpoint_step_3.safetensors.tmp-${dead}-0123456789ab`,
      'run.json.tmp-0123456789ab',
    ])
    expect((await readdir(dir)).sort()).toEqual([
      `final_model.safetensors.tmp-${process.pid}-0123456789ab`,
      'kept.safetensors',
      'notes.tmp-file.txt',
      'x.safetensors.tmp-1-0123456789ab',
    ])
  })
})
