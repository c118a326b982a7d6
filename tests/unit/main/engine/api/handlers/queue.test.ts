/**
 * The training queue behind the contract, on the real engine with tiny runs: queued runs train one
 * after another in folders of their own, a refused or failed one does not stop the next, a waiting
 * one can be taken off, a run started by hand hands the spheres on, and the folder rule holds.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createEngineApi, type EngineApi } from '../../../../../../src/main/engine/api/engine-api'
import { createFolderPolicy } from '../../../../../../src/main/server/folder-policy'
import { listRunSummaries } from '../../../../../../src/main/engine/runs'
import type { EngineEvent, MethodName, MethodOutput } from '../../../../../../src/shared/contract'
import type { QueueItem } from '../../../../../../src/shared/queue'
import { workspace, type Workspace } from '../../session/fixtures'

let ws: Workspace
let outside: string
let api: EngineApi
const events: EngineEvent[] = []

beforeAll(async () => {
  ws = await workspace(2, 80)
  outside = await mkdtemp(join(tmpdir(), 'cllm-queue-outside-'))
  await cp(ws.corpus, join(outside, 'corpus'), { recursive: true })
})
afterAll(async () => {
  await ws.cleanup()
  await rm(outside, { recursive: true, force: true })
})

function engine(): EngineApi {
  const created = createEngineApi({
    transport: 'websocket',
    version: 'test',
    sampleCorpus: ws.corpus,
    checkpointDir: ws.checkpoints,
    mayRead: createFolderPolicy([ws.root]),
  })
  created.events.subscribe((event) => events.push(event))
  return created
}

beforeAll(() => {
  api = engine()
})
afterAll(async () => {
  await api.shutdown()
})
// Each test starts from an empty checkpoint folder and an empty queue.
afterEach(async () => {
  for (const item of (await call('queue.list', {})).items) await call('queue.remove', { id: item.id })
  await rm(ws.checkpoints, { recursive: true, force: true })
})

/** A run of about ten steps on one sphere: vocab 300, 32 wide, one layer of two heads, context 32. */
const tiny = (learningRate = 0.001, extra: { numHeads?: number; maxSteps?: number } = {}) => ({
  model: { vocabSize: 300, embedDim: 32, numLayers: 1, numHeads: extra.numHeads ?? 2, seqLen: 32 },
  training: { maxSteps: extra.maxSteps ?? 10, threads: 1, batchSize: 2, learningRate },
})

async function call<M extends MethodName>(method: M, input: unknown, on: EngineApi = api): Promise<MethodOutput<M>> {
  const result = await on.dispatch(method, input, { transport: 'test' })
  if (!result.ok) throw new Error(`${method}: ${result.error.code}: ${result.error.message}`)
  return result.value as MethodOutput<M>
}

async function failure(method: MethodName, input: unknown): Promise<{ code: string; message: string }> {
  const result = await api.dispatch(method, input, { transport: 'test' })
  if (result.ok) throw new Error(`${method} should have been refused`)
  return result.error
}

/** Resolves with the queue once every run in it has ended (none waiting or running). */
function settled(timeoutMs = 60_000): Promise<QueueItem[]> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error('the queue did not finish')), timeoutMs)
    const check = async () => {
      const { items } = await call('queue.list', {})
      if (items.some((item) => item.status === 'waiting' || item.status === 'running')) return
      clearTimeout(timer)
      unsubscribe()
      resolvePromise(items)
    }
    const unsubscribe = api.events.subscribe((event) => {
      if (event.event === 'queue.changed') void check()
    })
    void check()
  })
}

/**
 * The run id of a queued item once its run trains (has reported a step, so it has a run folder):
 * waits on the queue's and the run's own events, never on the clock.
 */
async function trainingRunOf(itemId: string): Promise<string> {
  const runId = await new Promise<string>((resolveId) => {
    const check = (items: QueueItem[]) => {
      const id = items.find((item) => item.id === itemId)?.runId
      if (!id) return
      unsubscribe()
      resolveId(id)
    }
    const unsubscribe = api.events.subscribe((event) => {
      if (event.event === 'queue.changed') check(event.payload.items)
    })
    void call('queue.list', {}).then(({ items }) => check(items))
  })
  if (!events.some((event) => event.event === 'training.progress' && event.payload.runId === runId)) {
    await new Promise<void>((resolveWait) => {
      const unsubscribe = api.events.subscribe((event) => {
        if (event.event !== 'training.progress' || event.payload.runId !== runId) return
        unsubscribe()
        resolveWait()
      })
    })
  }
  return runId
}

/** More steps than any machine trains in a test: a run that ends only when it is stopped. */
const ENDLESS = 1_000_000_000

/** The index in the event log of a run's event. */
const eventIndex = (name: 'training.started' | 'training.finished', runId: string | undefined) =>
  events.findIndex((event) => event.event === name && event.payload.runId === runId)

describe('queue.* methods', () => {
  it('runs two queued configurations one after another, each in its own run folder', async () => {
    const first = (await call('queue.add', { folder: ws.corpus, config: tiny(0.001) })).item
    const second = (await call('queue.add', { folder: ws.corpus, config: tiny(0.003) })).item
    // Nothing was training: the first starts at once, the second waits its turn.
    expect([first.status, second.status]).toEqual(['running', 'waiting'])
    expect((await call('training.start', { folder: ws.corpus, config: tiny() }).catch((e: Error) => e.message))).toMatch(/busy/)

    const items = await settled()
    expect(items.map((item) => [item.id, item.status, item.step])).toEqual([
      [first.id, 'done', 10],
      [second.id, 'done', 10],
    ])
    const [a, b] = items
    expect(a.runDir).toBeTruthy()
    expect(b.runDir).toBeTruthy()
    expect(a.runDir).not.toBe(b.runDir)
    // One after another: the second started only once the first had finished.
    expect(eventIndex('training.finished', a.runId)).toBeGreaterThan(-1)
    expect(eventIndex('training.started', b.runId)).toBeGreaterThan(eventIndex('training.finished', a.runId))

    const runs = (await listRunSummaries(ws.checkpoints)).runs
    const rate = (path: string) => (runs.find((run) => run.path === path)?.info?.config as unknown as { training: { learningRate: number } }).training.learningRate
    expect(runs.map((run) => run.status)).toEqual(['done', 'done'])
    expect([rate(a.runDir!), rate(b.runDir!)]).toEqual([0.001, 0.003])
    expect((await call('training.status', {})).run).toBeNull()
  })

  it('marks a run refused at start or failed as failed, with its sentence, and goes on', async () => {
    const gone = join(ws.root, 'gone')
    await cp(ws.corpus, gone, { recursive: true })
    const added = [
      (await call('queue.add', { folder: ws.corpus, config: tiny() })).item,
      // Heads that do not divide the embedding: refused when its turn comes.
      (await call('queue.add', { folder: ws.corpus, config: tiny(0.001, { numHeads: 3 }) })).item,
      // A folder removed while it waits.
      (await call('queue.add', { folder: gone, config: tiny() })).item,
      (await call('queue.add', { folder: ws.corpus, config: tiny(0.002) })).item,
    ]
    await rm(gone, { recursive: true })
    expect(added.map((item) => item.status)).toEqual(['running', 'waiting', 'waiting', 'waiting'])

    const items = await settled()
    expect(items.map((item) => item.status)).toEqual(['done', 'failed', 'failed', 'done'])
    expect(items[1].message).toMatch(/numHeads: must divide embedDim/)
    expect(items[1].runDir).toBeUndefined()
    expect(items[2].message).toContain(gone)
    for (const item of items) expect(item.message ?? '').not.toMatch(/\n\s+at /)
    expect((await listRunSummaries(ws.checkpoints)).runs.map((run) => run.status)).toEqual(['done', 'done'])
  })

  it('takes a waiting run off the queue; the one training is stopped instead, and ended ones can be cleared', async () => {
    // The first run cannot end by itself: it is still training when queue.remove is asked, however fast the machine.
    const running = (await call('queue.add', { folder: ws.corpus, config: tiny(0.001, { maxSteps: ENDLESS }) })).item
    const waiting = (await call('queue.add', { folder: ws.corpus, config: tiny(0.003) })).item
    expect(waiting.status).toBe('waiting')

    expect(await call('queue.remove', { id: waiting.id })).toEqual({ removed: waiting.id })
    expect((await call('queue.list', {})).items.map((item) => item.id)).toEqual([running.id])
    const refused = await failure('queue.remove', { id: running.id })
    expect(refused).toEqual({ code: 'busy', message: 'That run is training now: stop it in the Train view instead.' })
    expect((await failure('queue.remove', { id: waiting.id })).code).toBe('not-found')

    await call('training.stop', { runId: await trainingRunOf(running.id) })
    const items = await settled()
    expect(items.map((item) => [item.id, item.status])).toEqual([[running.id, 'stopped']])
    // The removed run never started.
    expect(await readdir(ws.checkpoints)).toHaveLength(1)
    await call('queue.remove', { id: running.id })
    expect((await call('queue.list', {})).items).toEqual([])
  })

  it('starts the next queued run when a run started by hand ends, also when it was stopped', async () => {
    const { runId } = await call('training.start', { folder: ws.corpus, config: tiny(0.001, { maxSteps: ENDLESS }) })
    const queued = (await call('queue.add', { folder: ws.corpus, config: tiny() })).item
    expect(queued.status).toBe('waiting')
    await call('training.stop', { runId })

    const [item] = await settled()
    expect(item).toMatchObject({ id: queued.id, status: 'done', step: 10 })
    expect(eventIndex('training.started', item.runId)).toBeGreaterThan(eventIndex('training.finished', runId))
  })

  it('records a run stopped by the user as stopped, and the queue goes on', async () => {
    const long = (await call('queue.add', { folder: ws.corpus, config: tiny(0.001, { maxSteps: ENDLESS }) })).item
    const next = (await call('queue.add', { folder: ws.corpus, config: tiny() })).item
    // Stopped once it trains, so it has a run folder (with the stop's checkpoint) to link to.
    await call('training.stop', { runId: await trainingRunOf(long.id) })
    const items = await settled()
    expect(items.map((item) => [item.id, item.status])).toEqual([[long.id, 'stopped'], [next.id, 'done']])
    expect(items[0].runDir).toBeTruthy()
  })

  it('refuses, when added, a folder or checkpoint outside what the app may read', async () => {
    const before = events.length
    const folder = await failure('queue.add', { folder: join(outside, 'corpus'), config: tiny() })
    expect(folder.code).toBe('forbidden')
    expect(folder.message).toBe(`This app may not read ${join(outside, 'corpus')}. Type the folder inside a folder this studio may read.`)
    const resume = await failure('queue.add', { folder: ws.corpus, resume: join(outside, 'x.safetensors') })
    expect(resume.code).toBe('forbidden')
    // Inside the checkpoint folder but not there: refused now, not when its turn comes.
    const missing = await failure('queue.add', { folder: ws.corpus, resume: 'run/none.safetensors' })
    expect(missing).toEqual({ code: 'not-found', message: `Checkpoint ${join(ws.checkpoints, 'run', 'none.safetensors')} does not exist.` })
    expect((await failure('queue.add', { folder: '' })).code).toBe('invalid-input')
    expect((await call('queue.list', {})).items).toEqual([])
    expect(events.slice(before).filter((event) => event.event === 'queue.changed')).toEqual([])
  })

  it('starts nothing more once the engine shuts down', async () => {
    const own = engine()
    const first = (await call('queue.add', { folder: ws.corpus, config: tiny(0.001, { maxSteps: ENDLESS }) }, own)).item
    const waiting = (await call('queue.add', { folder: ws.corpus, config: tiny() }, own)).item
    // The queue's record of the first run's end, the point after which it would start the next one.
    const firstEnded = new Promise<void>((resolveEnd) => {
      const unsubscribe = own.events.subscribe((event) => {
        if (event.event !== 'queue.changed' || event.payload.items.find((item) => item.id === first.id)?.status !== 'stopped') return
        unsubscribe()
        resolveEnd()
      })
    })
    await own.shutdown()
    await firstEnded
    // The spheres freed by a run are handed on at the next turn of the event loop (handlers/queue.ts):
    // one turn later, whatever the queue would have started shows as running.
    await new Promise((resolveTurn) => setImmediate(resolveTurn))
    const items = (await call('queue.list', {}, own)).items
    expect(items.map((item) => item.status)).toEqual(['stopped', 'waiting'])
    expect(items[1].runId).toBeUndefined()
    expect(items[1].id).toBe(waiting.id)
    expect((await own.dispatch('queue.add', { folder: ws.corpus }, { transport: 'test' })).ok).toBe(false)
  })
})
