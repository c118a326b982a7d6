/**
 * The one slot on the spheres: work that needs every core (a job prepared from settings, a step-time
 * measurement) holds it like a run does, so no run starts beside it, and frees it when it ends.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventHub } from '../../../../../../src/main/engine/api/event-hub'
import type { EngineContext } from '../../../../../../src/main/engine/api/engine-api'
import { createTrainingHandlers } from '../../../../../../src/main/engine/api/handlers/training'
import { createEstimateHandlers } from '../../../../../../src/main/engine/api/handlers/estimate'

const sampleCorpus = resolve('resources/sample-corpus')
let checkpointDir: string
let context: EngineContext

beforeAll(async () => {
  checkpointDir = await mkdtemp(join(tmpdir(), 'cllm-slot-'))
  context = {
    options: { transport: 'websocket', version: 'test', sampleCorpus, checkpointDir, mayRead: (folder) => folder === sampleCorpus },
    events: new EventHub(),
    corpus: {},
  }
})
afterAll(() => rm(checkpointDir, { recursive: true, force: true }))

/** A promise the test settles itself. */
function deferred(): { promise: Promise<string>; resolve(value: string): void } {
  let settle: (value: string) => void = () => undefined
  const promise = new Promise<string>((resolvePromise) => (settle = resolvePromise))
  return { promise, resolve: settle }
}

describe('the sphere slot', () => {
  it('refuses a run while other work holds the spheres, naming the work, and frees them after', async () => {
    const slot = createTrainingHandlers(context)
    const work = deferred()
    let freed = 0
    slot.onIdle(() => freed++)
    const held = slot.holdSpheres('preparing a job', 'busy elsewhere', () => work.promise)
    expect(slot.isTraining()).toBe(true)
    await expect(slot.start({ folder: sampleCorpus })).rejects.toMatchObject({ code: 'busy', message: expect.stringMatching(/preparing a job/) })
    // A second holder is refused with its own message, and the first keeps the slot.
    await expect(slot.holdSpheres('another', 'the spheres are taken', async () => 'x')).rejects.toMatchObject({ code: 'busy', message: 'the spheres are taken' })
    expect(slot.isTraining()).toBe(true)
    work.resolve('written')
    expect(await held).toBe('written')
    expect(slot.isTraining()).toBe(false)
    expect(freed).toBe(1)
  })

  it('frees the spheres when the work fails', async () => {
    const slot = createTrainingHandlers(context)
    await expect(slot.holdSpheres('preparing a job', 'busy', async () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full')
    expect(slot.isTraining()).toBe(false)
  })

  it('measures a step only when no run holds the spheres, and names a bad setting', async () => {
    const slot = createTrainingHandlers(context)
    const estimate = createEstimateHandlers(slot)['training.estimate']
    const work = deferred()
    const held = slot.holdSpheres('preparing a job', 'busy', () => work.promise)
    await expect(estimate({ config: {} }, { transport: 'ipc' } as never)).rejects.toMatchObject({ code: 'busy' })
    work.resolve('done')
    await held
    await expect(estimate({ config: { model: { numHeads: 3 } } }, { transport: 'ipc' } as never)).rejects.toThrow(/numHeads/)
  })
})
