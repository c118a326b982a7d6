import { createPinia, setActivePinia } from 'pinia'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setApi } from '../../../../src/renderer/src/api'
import { useCorpusStore } from '../../../../src/renderer/src/stores/corpus'
import { useCheckpointsStore } from '../../../../src/renderer/src/stores/checkpoints'
import { useGenerateStore } from '../../../../src/renderer/src/stores/generate'
import { useTrainingStore } from '../../../../src/renderer/src/stores/training'
import {
  generateFromCheckpoint,
  openCheckpointModel,
} from '../../../../src/main/engine/session/from-checkpoint'
import { startEngineFixture, type EngineFixture } from '../engine-fixture'
import { sampleCorpus, tinyRun, until } from '../store-helpers'

let fixture: EngineFixture

/** One short run for the file: its checkpoints are what these stores list and open. */
beforeAll(async () => {
  fixture = await startEngineFixture({ mayRead: [sampleCorpus] })
  setApi(fixture.client())
  setActivePinia(createPinia())
  await useCorpusStore().scan(sampleCorpus)
  const training = useTrainingStore()
  await training.start({ folder: sampleCorpus, config: tinyRun(20) })
  await until(() => training.finished !== null, 'the run to finish')
})
afterAll(async () => {
  setApi(undefined)
  await fixture.close()
})

describe('generate store', () => {
  it('streams the text the engine generates for the request, and checks its settings', async () => {
    const checkpoints = useCheckpointsStore()
    await checkpoints.refresh()
    const final = checkpoints.usable.find((choice) => choice.checkpoint.kind === 'final')!
    const store = useGenerateStore()
    store.checkpoint = final.checkpoint.path
    Object.assign(store.options, { prompt: 'The fox', maxTokens: 60, temperature: 0.9, seed: 7 })
    await store.generate()
    expect(store.status).toBe('done')

    const model = await openCheckpointModel(final.checkpoint.path)
    try {
      const direct = await generateFromCheckpoint(model, {
        prompt: 'The fox',
        maxTokens: 60,
        temperature: 0.9,
        topK: Number(store.options.topK),
        topP: Number(store.options.topP),
        seed: 7,
      })
      expect(store.output).toBe(direct.text)
      expect(store.tokens).toBe(direct.tokens.length)
      expect(store.endedText).toBe(direct.tokens.length < 60)
    } finally {
      await model.close()
    }
    expect(store.chunks).toBeGreaterThan(1)
    expect(store.prompt).toBe('The fox')

    store.options.topP = 0
    store.options.maxTokens = ''
    const { input, errors } = store.checkOptions()
    expect(input).toBeNull()
    expect(Object.keys(errors).sort()).toEqual(['maxTokens', 'topP'])
  })
})
