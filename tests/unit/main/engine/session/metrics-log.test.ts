import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MetricsLog, metricsRecord } from '../../../../../src/main/engine/session/metrics-log'
import { UserError } from '../../../../../src/shared/errors'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cllm-metrics-log-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const point = (step: number, loss = 2.5) => ({ step, epoch: 0, loss, lr: 0.001, gradNorm: 1, tokens: 64 })

describe('MetricsLog', () => {
  it('appends lines in the order written, a loss that is not finite as null', async () => {
    const log = new MetricsLog(dir)
    log.write([metricsRecord(point(1), 100)])
    log.write([metricsRecord(point(2, NaN), 100), metricsRecord({ ...point(3), valLoss: Infinity }, 120)])
    await log.settled()
    log.check()
    const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines.map((line) => line.step)).toEqual([1, 2, 3])
    expect(lines[1]!.loss).toBeNull()
    expect(lines[2]).toMatchObject({ val_loss: null, tokens_per_s: 120, grad_norm: 1 })
  })

  it('keeps a failed append and reports it as one sentence, without an unhandled rejection', async () => {
    const gone = join(dir, 'no-such-run')
    const log = new MetricsLog(gone)
    log.write([metricsRecord(point(1), 0)])
    log.write([metricsRecord(point(2), 0)])
    await log.settled()
    let error: unknown
    try {
      log.check()
    } catch (thrown) {
      error = thrown
    }
    expect(error).toBeInstanceOf(UserError)
    expect((error as UserError).message).toBe(
      `Could not append to ${join(gone, 'metrics.jsonl')}: ENOENT (ENOENT). The run stops here; its metrics up to the last complete line and its last checkpoint are kept.`,
    )
  })
})
