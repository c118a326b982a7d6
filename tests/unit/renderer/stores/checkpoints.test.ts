import { createPinia, setActivePinia } from 'pinia'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setApi } from '../../../../src/renderer/src/api'
import { useCorpusStore } from '../../../../src/renderer/src/stores/corpus'
import { useCheckpointsStore } from '../../../../src/renderer/src/stores/checkpoints'
import { useTrainingStore } from '../../../../src/renderer/src/stores/training'
import { listRuns } from '../../../../src/main/engine/checkpoints'
import { startEngineFixture, type EngineFixture } from '../engine-fixture'
import { sampleCorpus, tinyRun, until } from '../store-helpers'

let fixture: EngineFixture
let runDir: string

/** One short run for the file: its checkpoints are what these stores list and open. */
beforeAll(async () => {
  fixture = await startEngineFixture({ mayRead: [sampleCorpus] })
  setApi(fixture.client())
  setActivePinia(createPinia())
  await useCorpusStore().scan(sampleCorpus)
  const training = useTrainingStore()
  await training.start({ folder: sampleCorpus, config: tinyRun(20) })
  await until(() => training.finished !== null, 'the run to finish')
  runDir = training.started!.runDir
})
afterAll(async () => {
  setApi(undefined)
  await fixture.close()
})

describe('checkpoints store', () => {
  it('lists the runs and checkpoints the engine finds, newest step first', async () => {
    await writeFile(join(runDir, 'checkpoint_step_99.safetensors'), 'not a checkpoint')
    const store = useCheckpointsStore()
    await store.refresh()
    const direct = await listRuns(fixture.checkpointDir)
    expect(store.listing).toEqual(direct)
    const [run] = store.runs
    const steps = run.checkpoints.map((c) => c.step ?? -1)
    expect(steps).toEqual([...steps].sort((a, b) => b - a))
    expect(run.checkpoints.find((c) => c.file === 'checkpoint_step_99.safetensors')).toMatchObject({
      status: 'corrupt',
      problem: expect.any(String),
    })
    // Only readable checkpoints can be chosen for generating or resuming.
    expect(store.usable.map((choice) => choice.checkpoint.path).sort()).toEqual(
      run.checkpoints
        .filter((c) => c.status === 'ok')
        .map((c) => c.path)
        .sort(),
    )
  })

  it('verifies a checkpoint whole: a good one reads Verified, damaged tensor bytes turn its row corrupt', async () => {
    const store = useCheckpointsStore()
    await store.refresh()
    const good = store.usable[0].checkpoint.path
    await store.verify(good)
    expect(store.verified[good]).toBe('ok')

    // Damage one tensor byte: the header still reads fine, so the listing alone calls it ok.
    const damaged = store.usable[store.usable.length - 1].checkpoint.path
    const bytes = await readFile(damaged)
    bytes[bytes.length - 5] ^= 0xff
    await writeFile(damaged, bytes)
    await store.refresh()
    expect(store.find(damaged)?.checkpoint.status).toBe('ok')
    await store.verify(damaged)
    expect(store.find(damaged)).toBeUndefined()
    const entry = store.runs.flatMap((run) => run.checkpoints).find((c) => c.path === damaged)
    expect(entry).toMatchObject({ status: 'corrupt', problem: expect.stringMatching(/checksum/) })
  })
})
