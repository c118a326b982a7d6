import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession, PROGRESS_INTERVAL_MS } from '../../../../src/main/engine/session'
import { loadCheckpoint } from '../../../../src/main/engine/checkpoints'
import { UserError } from '../../../../src/shared/errors'
import { trainingEvents, type RunConfigInput } from '../../../../src/shared/training'
import { payloads, record, workspace, type Workspace } from './session/fixtures'

let ws: Workspace
beforeAll(async () => {
  ws = await workspace()
})
afterAll(async () => {
  await ws.cleanup()
})

/** A tiny, fast run: the word tokenizer, 2 threads. */
function tiny(training: NonNullable<RunConfigInput['training']>): RunConfigInput {
  return {
    model: { vocabSize: 64, embedDim: 32, numLayers: 1, numHeads: 2, seqLen: 16 },
    training: { tokenizer: 'word', threads: 2, ...training },
    paths: { checkpointDir: ws.checkpoints },
  }
}

describe('training session', () => {
  it('refuses impossible configs before any work starts, naming the field', async () => {
    const refused = async (config: RunConfigInput): Promise<string> => {
      const error = await createSession({ folder: ws.corpus, config }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UserError)
      return (error as Error).message
    }
    expect(await refused({ model: { numHeads: 5 } })).toMatch(/model\.numHeads/)
    expect(await refused({ model: { embedDim: -4 } })).toMatch(/model\.embedDim/)
    expect(await refused({ training: { batchSize: 0 } })).toMatch(/training\.batchSize/)
    expect(await refused({ training: { learningRate: Number.NaN } })).toMatch(/training\.learningRate/)
    expect(await refused({ model: { embedDim: 8192, numLayers: 64, numHeads: 8 } })).toMatch(/needs [\d.]+ GiB/)
    expect(existsSync(ws.checkpoints)).toBe(false)
  })

  it('runs preparing → training → done, with progress, an epoch summary, metrics and a final model', async () => {
    // Progress is paced by a clock the test steps: 25 ms each time the session reads it (about once a
    // step), so the pacing is checked however fast the machine trains the 40 steps.
    let clock = 0
    const session = await createSession({
      folder: ws.corpus,
      config: tiny({ maxSteps: 40, evalInterval: 10, checkpointInterval: 20 }),
      sample: { maxTokens: 20 },
      progressClock: () => (clock += 25),
    })
    const events = record(session)
    const clockAt: number[] = []
    session.on(() => clockAt.push(clock))
    const finished = await session.run()
    expect(finished).toMatchObject({ state: 'done', reason: 'completed', step: 40 })

    for (const { event, payload } of events) expect(trainingEvents[event].safeParse(payload).success).toBe(true)
    const states = payloads(events, 'training.state').map((s) => s.state)
    expect(states).toEqual(['preparing', 'training', 'done'])
    const order = events.map((e) => e.event).filter((e, i, all) => e !== all[i - 1])
    expect(order[0]).toBe('training.state')
    expect(order.indexOf('training.started')).toBeLessThan(order.indexOf('training.progress'))
    expect(order.slice(-2)).toEqual(['training.state', 'training.finished'])

    const started = payloads(events, 'training.started')[0]
    expect(started.totalSteps).toBe(40)
    expect(started.initialValLoss).toBeGreaterThan(0)
    const progress = payloads(events, 'training.progress')
    const steps = progress.flatMap((p) => p.points.map((point) => point.step))
    expect(steps).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    expect(progress.at(-1)!.spheres.map((s) => s.id)).toEqual([0, 1])
    // Batched: at most ~10 progress events a second. A flush is forced only right before an epoch
    // summary or a checkpoint (so events stay in step order) and at the end of the run.
    const timed = events.flatMap((e, i) =>
      e.event === 'training.progress' && !['training.epoch', 'training.checkpoint'].includes(events[i + 1]?.event ?? '')
        ? [i]
        : [],
    )
    const progressAt = events.map((e, i) => (e.event === 'training.progress' ? i : -1)).filter((i) => i >= 0)
    let paced = 0
    for (const i of timed.slice(0, -1)) {
      const previous = progressAt[progressAt.indexOf(i) - 1]
      if (previous === undefined) continue
      expect(clockAt[i] - clockAt[previous]).toBeGreaterThanOrEqual(PROGRESS_INTERVAL_MS)
      paced++
    }
    // The check above compared something: several events were paced by the clock.
    expect(paced).toBeGreaterThanOrEqual(2)
    expect(order.indexOf('training.epoch')).toBeGreaterThan(order.lastIndexOf('training.progress') - 1)
    const epochs = payloads(events, 'training.epoch')
    expect(epochs).toHaveLength(1)
    expect(epochs[0].spheres.every((s) => s.batches === 40 && s.utilisation > 0 && s.utilisation <= 1)).toBe(true)

    const saved = payloads(events, 'training.checkpoint')
    expect(saved.map((c) => [c.kind, c.step])).toEqual([
      ['periodic', 20],
      ['final', 40],
    ])
    const final = await loadCheckpoint(finished.checkpoint!)
    expect(final.metadata.step).toBe(40)
    expect(final.metadata.tokenizerKind).toBe('word')
    expect(finished.sample).toEqual(expect.any(String))

    const metrics = (await readFile(join(started.runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
    expect(metrics.map((m) => m.step)).toEqual(Array.from({ length: 41 }, (_, i) => i))
    expect(metrics.filter((m) => m.val_loss !== undefined).map((m) => m.step)).toEqual([0, 10, 20, 30, 40])
    expect(JSON.parse(await readFile(join(started.runDir, 'run.json'), 'utf8')).corpusFingerprint).toBe(started.corpusFingerprint)
  })

  it('pauses between steps and resumes', async () => {
    const totalSteps = 200
    // The progress clock steps 10 ms a read, so the first report comes after about ten steps, long before the end.
    let clock = 0
    const session = await createSession({
      folder: ws.corpus,
      config: tiny({ maxSteps: totalSteps }),
      sample: false,
      progressClock: () => (clock += 10),
    })
    const events = record(session)
    // Paused from the first progress report: between two steps, so no step is in flight.
    let pausedAt = -1
    session.on(({ event }) => {
      if (event === 'training.progress' && pausedAt < 0) {
        session.pause()
        pausedAt = session.step
      }
    })
    const running = session.run()
    await session.whenParked()
    expect(session.state).toBe('paused')
    expect(session.step).toBe(pausedAt)
    expect(pausedAt).toBeGreaterThan(0)
    expect(pausedAt).toBeLessThan(totalSteps)
    const reportedWhileParked = events.length
    session.resume()
    const finished = await running
    expect(finished).toMatchObject({ state: 'done', reason: 'completed', step: totalSteps })
    expect(payloads(events, 'training.state').map((s) => s.state)).toEqual(['preparing', 'training', 'paused', 'training', 'done'])
    // Nothing was reported between the rest and the resume, and every step was reported once, in order.
    expect(events[reportedWhileParked]).toMatchObject({ event: 'training.state', payload: { state: 'training', step: pausedAt } })
    const steps = payloads(events, 'training.progress').flatMap((p) => p.points.map((point) => point.step))
    expect(steps).toEqual(Array.from({ length: totalSteps }, (_, i) => i + 1))
  })

  it('stops while paused, with a checkpoint', async () => {
    const session = await createSession({ folder: ws.corpus, config: tiny({ maxSteps: 100_000 }), sample: false })
    const events = record(session)
    session.on(({ event }) => {
      if (event === 'training.progress' && session.state === 'training') {
        session.pause()
        void session.whenParked().then(() => session.stop())
      }
    })
    const finished = await session.run()
    expect(finished).toMatchObject({ state: 'done', reason: 'stopped' })
    expect(payloads(events, 'training.state').map((s) => s.state)).toEqual(['preparing', 'training', 'paused', 'stopping', 'done'])
    expect(payloads(events, 'training.checkpoint').map((c) => [c.kind, c.step])).toEqual([['stop', finished.step]])
  })

  it('stops after the step in progress, writing a checkpoint first', async () => {
    const session = await createSession({ folder: ws.corpus, config: tiny({ maxSteps: 100_000 }), sample: false })
    const events = record(session)
    // Asked between two steps (from a progress report): the run takes no further step.
    let requestedAt = -1
    session.on(({ event, payload }) => {
      if (event === 'training.progress' && payload.step >= 5 && requestedAt < 0) {
        requestedAt = payload.step
        session.stop()
      }
    })
    const finished = await session.run()
    expect(finished).toMatchObject({ state: 'done', reason: 'stopped', step: requestedAt })
    expect(payloads(events, 'training.state').map((s) => s.state)).toEqual(['preparing', 'training', 'stopping', 'done'])
    const saved = payloads(events, 'training.checkpoint')
    expect(saved.map((c) => c.kind)).toEqual(['stop'])
    expect(finished.checkpoint).toMatch(new RegExp(`checkpoint_step_${finished.step}\\.safetensors$`))
    expect((await loadCheckpoint(finished.checkpoint!)).metadata.step).toBe(finished.step)
  })

  it('fails with the sphere and its message when a sphere crashes, keeping the last checkpoint valid', async () => {
    const session = await createSession({
      folder: ws.corpus,
      config: tiny({ maxSteps: 20, checkpointInterval: 2 }),
      sample: false,
      fault: { sphere: 1, step: 5, kind: 'throw' },
    })
    const events = record(session)
    const finished = await session.run()
    expect(finished.state).toBe('failed')
    expect(finished.message).toMatch(/Sphere 1/)
    expect(payloads(events, 'training.state').at(-1)).toMatchObject({ state: 'failed', message: finished.message })
    const runDir = payloads(events, 'training.started')[0].runDir
    const files = (await readdir(runDir)).filter((f) => f.endsWith('.safetensors')).sort()
    expect(files).toEqual(['checkpoint_step_2.safetensors', 'checkpoint_step_4.safetensors'])
    expect((await loadCheckpoint(join(runDir, 'checkpoint_step_4.safetensors'))).metadata.step).toBe(4)
    const metrics = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l).step)
    expect(metrics).toEqual([0, 1, 2, 3, 4])
  })

  it('can be stopped while it prepares', async () => {
    const session = await createSession({ folder: ws.corpus, config: tiny({ maxSteps: 10 }), sample: false })
    const running = session.run()
    session.stop()
    const finished = await running
    expect(finished).toMatchObject({ state: 'done', reason: 'stopped', checkpoint: null })
  })
})
