import { describe, expect, it } from 'vitest'
import { roundTicks, type TickAxis } from '../../../src/renderer/src/chart-ticks'

/** The ticks chart.js builds with bounds 'data': the data's ends, nice steps between. */
function axis(min: number, max: number, spacing: number): TickAxis {
  const ticks = [{ value: min }]
  for (let v = Math.ceil(min / spacing) * spacing; v < max; v += spacing) if (v > min) ticks.push({ value: v })
  ticks.push({ value: max })
  return { min, max, ticks }
}

const values = (a: TickAxis) => a.ticks.map((t) => t.value)

describe('roundTicks', () => {
  it('drops the data’s ends for multiples of the spacing', () => {
    const a = axis(0, 436, 50)
    roundTicks(a)
    expect(values(a)).toEqual([0, 50, 100, 150, 200, 250, 300, 350, 400])
  })

  it('starts at a round value when the data starts off one (wall time, a loss from step 1)', () => {
    const seconds = { min: 0.08, max: 230.5, ticks: [{ value: 0.08 }, { value: 50.08 }, { value: 100.08 }, { value: 150.08 }, { value: 230.5 }] }
    roundTicks(seconds)
    expect(values(seconds)).toEqual([50, 100, 150, 200])
    const steps = { min: 0, max: 420, ticks: [{ value: 1 }, { value: 101 }, { value: 201 }, { value: 301 }, { value: 420 }] }
    roundTicks(steps)
    expect(values(steps)).toEqual([0, 100, 200, 300, 400])
  })

  it('writes fractional ticks without float noise', () => {
    const a = axis(0, 1.05, 0.2)
    roundTicks(a)
    expect(values(a)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1])
  })

  it('leaves an axis with too few ticks alone', () => {
    const a = { min: 0, max: 1, ticks: [{ value: 0 }, { value: 1 }] }
    roundTicks(a)
    expect(values(a)).toEqual([0, 1])
  })
})
