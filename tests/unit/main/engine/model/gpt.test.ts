import { beforeAll, describe, expect, it } from 'vitest'
import { Rng } from '../../../../../src/main/engine/rng'
import { createHarness, directionalChecks, directionalFailures, ensureKernelsBuilt, randomTokens, type Harness } from './harness'

const tiny = { vocabSize: 13, seqLen: 6, dModel: 8, nLayers: 2, nHeads: 2 }
const windowsOf = (vocab: number, rows: number, T: number, seed: number): number[][] => {
  const flat = randomTokens(rows * (T + 1), vocab, seed)
  return Array.from({ length: rows }, (_, r) => flat.slice(r * (T + 1), (r + 1) * (T + 1)))
}

beforeAll(() => ensureKernelsBuilt())

describe('GPT forward and backward', () => {
  it('matches central finite differences along a random direction in every tensor (reference kernels)', async () => {
    const h = await createHarness(tiny, 3, 'reference', 7)
    // Larger weights than GPT-2's init, so every path carries a gradient well above float32 noise.
    const rng = Rng.seeded(3)
    for (const t of h.layout.tensors) {
      if (t.init === 'normal' || t.init === 'residual-proj') for (let i = 0; i < t.size; i++) h.params[t.offset + i] = rng.nextNormal() * 0.3
      if (t.init === 'zeros') for (let i = 0; i < t.size; i++) h.params[t.offset + i] = rng.nextNormal() * 0.1
      if (t.init === 'ones') for (let i = 0; i < t.size; i++) h.params[t.offset + i] = 1 + rng.nextNormal() * 0.1
    }
    h.setWindows(windowsOf(tiny.vocabSize, 3, tiny.seqLen, 11))
    h.lossAndGrad()
    const checks = directionalChecks(h, Float64Array.from(h.grads), rng)
    for (const check of checks) expect(Math.abs(check.analytic)).toBeGreaterThan(1e-5)
    expect(directionalFailures(checks)).toEqual([])
  })

  it('matches finite differences on single parameters of each kind', async () => {
    const h = await createHarness(tiny, 2, 'reference', 5)
    h.setWindows(windowsOf(tiny.vocabSize, 2, tiny.seqLen, 4))
    h.lossAndGrad()
    const picks = ['wte.weight', 'wpe.weight', 'h.1.attn.c_attn.weight', 'h.0.mlp.c_proj.bias', 'ln_f.weight', 'h.0.ln_1.bias']
    for (const name of picks) {
      const t = h.layout.tensors.find((x) => x.name === name)!
      // The parameter with the largest gradient in the tensor: the clearest signal.
      let at = t.offset
      for (let i = t.offset; i < t.offset + t.size; i++) if (Math.abs(h.grads[i]) > Math.abs(h.grads[at])) at = i
      const analytic = h.grads[at]
      const saved = h.params[at]
      const eps = 2e-3
      h.params[at] = saved + eps
      const up = h.params[at] - saved
      const lossPlus = h.loss()
      h.params[at] = saved - eps
      const down = saved - h.params[at]
      const lossMinus = h.loss()
      h.params[at] = saved
      const numeric = (lossPlus - lossMinus) / (up + down)
      expect(Math.abs(numeric - analytic), name).toBeLessThan(1e-4 + 1e-2 * Math.abs(analytic))
    }
  })

  it('gives the same loss and gradient with the WebAssembly kernels as with the reference', async () => {
    const config = { vocabSize: 37, seqLen: 9, dModel: 24, nLayers: 2, nHeads: 3 }
    const windows = windowsOf(config.vocabSize, 3, config.seqLen, 21)
    const ref = await createHarness(config, 3, 'reference', 9)
    const fast = await createHarness(config, 3, 'wasm', 9)
    ref.setWindows(windows)
    fast.setWindows(windows)
    const lossRef = ref.lossAndGrad()
    const lossFast = fast.lossAndGrad()
    expect(Math.abs(lossFast - lossRef)).toBeLessThan(1e-5 * lossRef)
    for (const t of ref.layout.tensors) {
      let diff = 0
      let scale = 0
      for (let i = t.offset; i < t.offset + t.size; i++) {
        diff = Math.max(diff, Math.abs(fast.grads[i] - ref.grads[i]))
        scale = Math.max(scale, Math.abs(ref.grads[i]))
      }
      expect(diff, t.name).toBeLessThan(1e-4 * scale + 1e-9)
    }
  })

  it('gives bit-identical loss and gradients when backward recomputes attention and GELU (wasm and reference)', async () => {
    const config = { vocabSize: 40, seqLen: 16, dModel: 32, nLayers: 3, nHeads: 4 }
    for (const kernels of ['wasm', 'reference'] as const) {
      const stored = await createHarness(config, 2, kernels, 5, 'stored')
      const recomputed = await createHarness(config, 2, kernels, 5, 'recomputed')
      expect(recomputed.plan.shards[0].recompute).toBe(true)
      const windows = windowsOf(config.vocabSize, 2, config.seqLen, 9)
      stored.setWindows(windows)
      recomputed.setWindows(windows)
      expect(recomputed.lossAndGrad()).toBe(stored.lossAndGrad())
      expect(Float32Array.from(recomputed.grads)).toEqual(Float32Array.from(stored.grads))
    }
  })

  it('starts near ln(vocab) at GPT-2 initialisation', async () => {
    const config = { vocabSize: 500, seqLen: 32, dModel: 64, nLayers: 2, nHeads: 4 }
    const h: Harness = await createHarness(config, 4, 'wasm', 123)
    h.setWindows(windowsOf(config.vocabSize, 4, config.seqLen, 5))
    expect(Math.abs(h.loss() - Math.log(config.vocabSize))).toBeLessThan(0.1)
  })
})
