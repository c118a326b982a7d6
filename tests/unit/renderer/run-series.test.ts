import { describe, expect, it } from 'vitest'
import { RunSeries } from '../../../src/renderer/src/run-series'
import type { MetricPoint } from '../../../src/shared/training'

function points(from: number, to: number, valEvery = 0): MetricPoint[] {
  const list: MetricPoint[] = []
  for (let step = from; step <= to; step++) {
    list.push({
      step,
      epoch: 0,
      loss: 6 / Math.sqrt(step),
      lr: 0.001 * Math.min(1, step / 10),
      gradNorm: 1,
      tokens: 128,
      ...(valEvery && step % valEvery === 0 ? { valLoss: 5 / Math.sqrt(step) } : {}),
    })
  }
  return list
}

describe('run series', () => {
  it('keeps every step of every event, in order, and a speed point per event', () => {
    const series = new RunSeries()
    series.addInitialValLoss(0, Math.log(500))
    series.add({ step: 7, tokensPerSec: 1000, points: points(1, 7) })
    series.add({ step: 20, tokensPerSec: 1200, points: points(8, 20, 10) })
    const all = points(1, 20, 10)
    expect(series.loss).toEqual(all.map((p) => ({ x: p.step, y: p.loss })))
    expect(series.lr).toEqual(all.map((p) => ({ x: p.step, y: p.lr })))
    expect(series.valLoss).toEqual([
      { x: 0, y: Math.log(500) },
      ...all.filter((p) => p.valLoss !== undefined).map((p) => ({ x: p.step, y: p.valLoss })),
    ])
    expect(series.speed).toEqual([
      { x: 7, y: 1000 },
      { x: 20, y: 1200 },
    ])
  })

  it('smooths the loss towards the newest values, starting at the first', () => {
    const series = new RunSeries()
    const list = points(1, 50)
    series.add({ step: 50, tokensPerSec: 1, points: list })
    expect(series.smoothLoss[0].y).toBe(list[0].loss)
    for (let i = 1; i < list.length; i++) {
      const y = series.smoothLoss[i].y
      // A falling loss: the smoothed value lags above the raw one, below the previous smoothed.
      expect(y).toBeGreaterThan(list[i].loss)
      expect(y).toBeLessThan(series.smoothLoss[i - 1].y)
    }
  })

  it('ignores steps it already has (a page that reconnects) and losses that are not numbers', () => {
    const series = new RunSeries()
    series.add({ step: 5, tokensPerSec: 1, points: points(1, 5) })
    series.add({ step: 5, tokensPerSec: 1, points: points(3, 5) })
    const broken = { ...points(6, 6)[0], loss: Number.NaN }
    series.add({ step: 6, tokensPerSec: 1, points: [broken] })
    expect(series.loss.map((p) => p.x)).toEqual([1, 2, 3, 4, 5])
    expect(series.lr.map((p) => p.x)).toEqual([1, 2, 3, 4, 5, 6])
  })
})
