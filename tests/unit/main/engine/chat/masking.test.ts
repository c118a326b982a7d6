/**
 * Loss on the answers only: targets without loss become −1 (as a sphere loads chat data). The
 * gradient is that of the answers' mean loss (central finite differences), and prompt tokens
 * carry none: their targets can change without changing loss or gradient, and the position
 * embedding of a last position whose target is a prompt token has a zero gradient, analytically
 * and by finite differences.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { Rng } from '../../../../../src/main/engine/rng'
import { createHarness, directionalChecks, directionalFailures, ensureKernelsBuilt, randomTokens } from '../model/harness'

const tiny = { vocabSize: 13, seqLen: 8, dModel: 8, nLayers: 2, nHeads: 2 }
const T = tiny.seqLen
const windows = (seed: number): number[][] => {
  const flat = randomTokens(2 * (T + 1), tiny.vocabSize, seed)
  return [flat.slice(0, T + 1), flat.slice(T + 1)]
}
// Window 0: prompt targets 0–2, answer 3–5, prompt 6–7 (a second user turn). Window 1: answer 4–6.
const carries = [
  [false, false, false, true, true, true, false, false],
  [false, false, false, false, true, true, true, false],
]

beforeAll(() => ensureKernelsBuilt())

async function harness() {
  const h = await createHarness(tiny, 2, 'reference', 3)
  const rng = Rng.seeded(5)
  // Larger weights than GPT-2's init, so every path carries a gradient well above float32 noise.
  for (const t of h.layout.tensors) {
    if (t.init === 'normal' || t.init === 'residual-proj') for (let i = 0; i < t.size; i++) h.params[t.offset + i] = rng.nextNormal() * 0.3
    if (t.init === 'zeros') for (let i = 0; i < t.size; i++) h.params[t.offset + i] = rng.nextNormal() * 0.1
  }
  return h
}

describe('loss on answers only', () => {
  it('has the gradient of the answers’ mean loss (central finite differences in every tensor)', async () => {
    const h = await harness()
    h.setWindows(windows(1), carries)
    h.lossAndGrad()
    const checks = directionalChecks(h, Float64Array.from(h.grads), Rng.seeded(9))
    expect(directionalFailures(checks)).toEqual([])
  })

  it('gives prompt tokens no gradient: changing their targets changes nothing', async () => {
    const h = await harness()
    const data = windows(2)
    h.setWindows(data, carries)
    const loss = h.lossAndGrad()
    const grads = Float32Array.from(h.grads)
    // The last token of each window is only a target, a prompt token here: another token there.
    const changed = data.map((w, r) => w.map((token, i) => (i >= 1 && i === T && !carries[r][i - 1] ? (token + 1) % tiny.vocabSize : token)))
    expect(changed).not.toEqual(data)
    h.setWindows(changed, carries)
    expect(h.lossAndGrad()).toBe(loss)
    expect(Float32Array.from(h.grads)).toEqual(grads)
    // All targets carrying loss: a different loss and gradient, so the check above could fail.
    h.setWindows(data)
    expect(h.lossAndGrad()).not.toBe(loss)
  })

  it('gives the position of a last prompt token a zero gradient, by finite differences too', async () => {
    const h = await harness()
    h.setWindows(windows(3), carries)
    h.lossAndGrad()
    const wpe = h.layout.tensors.find((t) => t.name === 'wpe.weight')!
    // Row T − 1: the last position, whose target is a prompt token in both windows. Causal
    // attention lets it reach only its own logits, which carry no loss.
    const row = wpe.offset + (T - 1) * tiny.dModel
    const answerRow = wpe.offset + 4 * tiny.dModel
    expect(Array.from(h.grads.subarray(row, row + tiny.dModel))).toEqual(new Array(tiny.dModel).fill(0))
    expect(Math.max(...Array.from(h.grads.subarray(answerRow, answerRow + tiny.dModel), Math.abs))).toBeGreaterThan(1e-4)
    for (let i = 0; i < tiny.dModel; i++) {
      const saved = h.params[row + i]
      h.params[row + i] = saved + 0.1
      const plus = h.loss()
      h.params[row + i] = saved - 0.1
      const minus = h.loss()
      h.params[row + i] = saved
      expect(plus - minus).toBe(0)
    }
    // Unmasked, the same row has a gradient, which finite differences see.
    h.setWindows(windows(3))
    h.lossAndGrad()
    expect(Math.max(...Array.from(h.grads.subarray(row, row + tiny.dModel), Math.abs))).toBeGreaterThan(1e-4)
  })
})
