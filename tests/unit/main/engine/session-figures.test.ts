/**
 * The figures a run reports have one definition each: a checkpoint's validation loss is measured
 * at its own step (a stop and a periodic checkpoint between evaluations included), "best" ranks
 * only such values, and the summaries in the event, run.json and the checkpoint agree.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSession } from '../../../../src/main/engine/session'
import { describeRun, loadCheckpoint } from '../../../../src/main/engine/checkpoints'
import { valLossAtStep } from '../../../../src/shared/checkpoint'
import type { RunConfigInput } from '../../../../src/shared/training'
import { payloads, record, workspace, type Workspace } from './session/fixtures'

let ws: Workspace
beforeAll(async () => {
  ws = await workspace()
})
afterAll(async () => {
  await ws.cleanup()
})

const config = (runName: string, training: NonNullable<RunConfigInput['training']>): RunConfigInput => ({
  model: { vocabSize: 64, embedDim: 32, numLayers: 1, numHeads: 2, seqLen: 16 },
  training: { tokenizer: 'word', threads: 1, ...training },
  paths: { checkpointDir: ws.checkpoints, runName },
})

describe('the figures of a run', () => {
  it('measures the validation loss at a stop and at a checkpoint between evaluations, and ranks best only by those', async () => {
    // Evaluations every 10 steps, checkpoints every 7, stopped at step 17: neither 7, 14 nor 17 is an evaluation step.
    const session = await createSession({
      folder: ws.corpus,
      config: config('stopped', { maxSteps: 1000, evalInterval: 10, checkpointInterval: 7, keep: 10 }),
      stopAtStep: 17,
      sample: false,
    })
    const events = record(session)
    const finished = await session.run()
    expect(finished).toMatchObject({ reason: 'stopped', step: 17, valLossStep: 17 })
    expect(finished.valLoss).not.toBeNull()

    const saved = payloads(events, 'training.checkpoint')
    expect(saved.map((c) => [c.step, c.kind])).toEqual([[7, 'periodic'], [14, 'periodic'], [17, 'stop']])
    const runDir = join(ws.checkpoints, 'stopped')
    for (const c of saved) {
      const { metadata } = await loadCheckpoint(c.path)
      const own = valLossAtStep(metadata.losses, metadata.step)
      expect(own, `step ${c.step}`).not.toBeNull()
      expect(c.valLoss).toBe(own)
    }
    expect(finished.valLoss).toBe(saved[2].valLoss)

    // metrics.jsonl has the stop's validation loss at step 17 (the step's last line).
    const lines = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
    const step17 = lines.filter((l) => l.step === 17).at(-1)
    expect(step17.val_loss).toBe(finished.valLoss)

    // The listing shows each checkpoint's own value and stars the lowest of them.
    const run = await describeRun(runDir)
    const rows = run.checkpoints.filter((c) => c.step !== null)
    for (const row of rows) expect(row.valLoss).not.toBeNull()
    const lowest = Math.min(...rows.map((r) => r.valLoss!))
    expect(rows.filter((r) => r.best).map((r) => r.valLoss)).toEqual([lowest])

    // run.json's end holds the same figures, with the same definitions, as the event.
    const info = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8'))
    expect(info.ended).toMatchObject({
      trainLoss: finished.trainLoss,
      trainLossWindow: 17,
      valLoss: finished.valLoss,
      valLossStep: 17,
      tokensPerSec: finished.tokensPerSec,
    })
  })

  it('reports the epoch speed as tokens over its training steps, like the run average', async () => {
    const session = await createSession({
      folder: ws.corpus,
      config: config('speed', { maxSteps: 12, evalInterval: 3, checkpointInterval: 0 }),
      sample: false,
    })
    const events = record(session)
    const finished = await session.run()
    const [epoch] = payloads(events, 'training.epoch')
    // One epoch (a part of it) is the whole run: the same tokens over the same training-step time.
    expect(epoch.tokensPerSec / finished.tokensPerSec!).toBeCloseTo(1, 6)
  })
})
