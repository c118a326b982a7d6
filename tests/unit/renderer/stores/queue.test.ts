import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it } from 'vitest'
import { setApi } from '../../../../src/renderer/src/api'
import { useQueueStore } from '../../../../src/renderer/src/stores/queue'
import { useTrainingStore } from '../../../../src/renderer/src/stores/training'
import { connectStoresToEngine } from '../engine-fixture'
import { sampleCorpus, until } from '../store-helpers'

const engine = connectStoresToEngine({ mayRead: [sampleCorpus] })

const tiny = (learningRate: number, maxSteps = 10) => ({
  model: { vocabSize: 300, embedDim: 32, numLayers: 1, numHeads: 2, seqLen: 32 },
  training: { maxSteps, threads: 1, learningRate },
})

describe('queue store', () => {
  it('mirrors the engine’s queue to the end of both runs; the Train view follows each queued run on its own folder', async () => {
    const queue = useQueueStore()
    const training = useTrainingStore()
    expect(await queue.add({ folder: sampleCorpus, config: tiny(0.001, 200) })).toBe(true)
    expect(await queue.add({ folder: sampleCorpus, config: tiny(0.003) })).toBe(true)
    expect(queue.items.map((item) => item.status)).toEqual(['running', 'waiting'])
    expect(queue.waiting).toBe(1)
    // This page never pressed Train, yet shows the queued run and the folder it trains on.
    await until(() => training.runId !== null && training.runId === queue.items[0].runId && training.folder === sampleCorpus, 'the Train view to follow the first run')

    await until(() => queue.items.every((item) => item.status === 'done'), 'both runs to finish')
    expect(queue.items.map((item) => item.runDir?.startsWith(engine().checkpointDir))).toEqual([true, true])
    expect(training.runId).toBe(queue.items[1].runId)
    expect(queue.waiting).toBe(0)

    // Another page finds the same queue.
    setApi(engine().client())
    setActivePinia(createPinia())
    const other = useQueueStore()
    await other.refresh()
    expect(other.items.map((item) => item.id)).toEqual(queue.items.map((item) => item.id))
  })

  it('keeps the engine’s refusal in one sentence and takes a waiting run off', async () => {
    const queue = useQueueStore()
    expect(await queue.add({ folder: '/etc', config: tiny(0.001) })).toBe(false)
    expect(queue.error).toEqual({ code: 'forbidden', message: 'This app may not read /etc. Type the folder inside a folder this studio may read.' })
    expect(queue.items).toEqual([])

    await queue.add({ folder: sampleCorpus, config: tiny(0.001, 100_000) })
    expect(queue.error).toBeNull()
    await queue.add({ folder: sampleCorpus, config: tiny(0.003) })
    const [running, waiting] = queue.items
    expect(await queue.remove(running.id)).toBe(false)
    expect(queue.error?.code).toBe('busy')
    expect(await queue.remove(waiting.id)).toBe(true)
    await until(() => queue.items.length === 1, 'the removal to arrive')
    expect(queue.items[0].id).toBe(running.id)
  })
})
