import { describe, expect, it } from 'vitest'
import { configRows, historySeries, smooth } from '../../../src/renderer/src/run-compare'
import type { RunHistory } from '../../../src/shared/runs'

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString()

const history: RunHistory = {
  runDir: '/c/b',
  tokensPerStep: 10,
  segments: [],
  records: [
    { run: '/c/a', step: 1, loss: 4, lr: 1, tokens_per_s: 5, time: at(0) },
    { run: '/c/a', step: 2, loss: 3, val_loss: 3.5, lr: 1, tokens_per_s: 5, time: at(2) },
    // The child started an hour later: its wall time continues from the parent's last record.
    { run: '/c/b', step: 3, loss: 2, lr: 1, tokens_per_s: 5, time: at(3600) },
    { run: '/c/b', step: 4, loss: null, lr: 1, tokens_per_s: 5, time: at(3601) },
  ],
}

describe('run compare helpers', () => {
  it('draws a history over steps, tokens and wall time, skipping missing values', () => {
    expect(historySeries(history, 'loss', 'step')).toEqual([{ x: 1, y: 4 }, { x: 2, y: 3 }, { x: 3, y: 2 }])
    expect(historySeries(history, 'loss', 'tokens').map((p) => p.x)).toEqual([10, 20, 30])
    expect(historySeries(history, 'loss', 'time').map((p) => p.x)).toEqual([0, 2, 2])
    expect(historySeries(history, 'val_loss', 'step')).toEqual([{ x: 2, y: 3.5 }])
  })

  it('smooths with a debiased EMA that starts at the first value; weight 0 keeps the data', () => {
    const points = [{ x: 1, y: 4 }, { x: 2, y: 2 }]
    expect(smooth(points, 0)).toEqual(points)
    const s = smooth(points, 0.5)
    expect(s[0].y).toBeCloseTo(4)
    expect(s[1].y).toBeCloseTo((0.5 * 0.5 * 4 + 0.5 * 2) / 0.75)
  })

  it('keeps only the differing fields when asked, ignoring bookkeeping', () => {
    const a = { model: { dModel: 16 }, training: { learningRate: 0.001, threads: 2 }, paths: { checkpointDir: '/x' } }
    const b = { model: { dModel: 16 }, training: { learningRate: 0.01, threads: 4 }, paths: { checkpointDir: '/y' } }
    expect(configRows([a, b], true)).toEqual([{ field: 'training.learningRate', values: ['0.001', '0.01'] }])
    expect(configRows([a, b], false).map((r) => r.field)).toEqual(['model.dModel', 'training.learningRate'])
  })
})
