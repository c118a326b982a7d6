import { describe, expect, it } from 'vitest'
import { historySeries } from '../../../src/renderer/src/run-compare'
import { elsewhereLabel, handoffMarkers, hasElsewhere, splitByPlace } from '../../../src/renderer/src/run-handoff'
import type { RunHistory } from '../../../src/shared/runs'

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString()
const gpu = { host: 'gpu-node-7', device: 'cuda', worldSize: 8 }

/** Here to step 2, elsewhere (imported) to step 4, back here (resumed on the laptop) to step 5. */
const history: RunHistory = {
  runDir: '/c/c',
  tokensPerStep: 10,
  segments: [
    { runDir: '/c/a', name: 'a', fromStep: 0, toStep: 2 },
    { runDir: '/c/b', name: 'b', fromStep: 2, toStep: 4, elsewhere: { trainedOn: gpu } },
    { runDir: '/c/c', name: 'c', fromStep: 4, toStep: 5 },
  ],
  records: [
    { run: '/c/a', step: 1, loss: 4, lr: 1, tokens_per_s: 5, time: at(0) },
    { run: '/c/a', step: 2, loss: 3, lr: 1, tokens_per_s: 5, time: at(2) },
    { run: '/c/b', step: 3, loss: null, lr: 1, tokens_per_s: 5, time: at(100) },
    { run: '/c/b', step: 4, loss: 2, lr: 1, tokens_per_s: 5, time: at(101) },
    { run: '/c/c', step: 5, loss: 1.5, lr: 1, tokens_per_s: 5, time: at(500) },
  ],
}

describe('the hand-off in a history', () => {
  it('labels where a part was trained', () => {
    expect(elsewhereLabel(gpu)).toBe('trained elsewhere (8 × cuda on gpu-node-7)')
    expect(elsewhereLabel({ device: 'cpu', worldSize: 1 })).toBe('trained elsewhere (cpu)')
    expect(elsewhereLabel({ host: 'box' })).toBe('trained elsewhere (box)')
    expect(elsewhereLabel(undefined)).toBe('trained elsewhere')
    expect(hasElsewhere(history)).toBe(true)
    expect(hasElsewhere({ ...history, segments: [history.segments[0]] })).toBe(false)
  })

  it('cuts a series where the place changes, each part continuing from the last point before it', () => {
    const parts = splitByPlace(history, 'loss', historySeries(history, 'loss', 'step'))
    expect(parts).toEqual([
      { elsewhere: null, points: [{ x: 1, y: 4 }, { x: 2, y: 3 }] },
      { elsewhere: gpu, points: [{ x: 2, y: 3 }, { x: 4, y: 2 }] },
      { elsewhere: null, points: [{ x: 4, y: 2 }, { x: 5, y: 1.5 }] },
    ])
  })

  it('marks the hand-off and the return at the last step before each, in the x axis units', () => {
    expect(handoffMarkers(history, 'step')).toEqual([
      { x: 2, label: 'hand-off at step 2' },
      { x: 4, label: 'back here at step 4' },
    ])
    expect(handoffMarkers(history, 'tokens').map((m) => m.x)).toEqual([20, 40])
    // The parent not here: the history starts with the part elsewhere, marked where it starts.
    const orphan: RunHistory = { ...history, segments: history.segments.slice(1), records: history.records.slice(2) }
    expect(handoffMarkers(orphan, 'step')).toEqual([
      { x: 3, label: 'hand-off at step 2' },
      { x: 4, label: 'back here at step 4' },
    ])
    expect(handoffMarkers(history, 'time').map((m) => m.x)).toEqual([2, 3])
  })
})
