import { describe, expect, it } from 'vitest'
import { initParams, initParamsYielding } from '../../../../../src/main/engine/model/init'
import { createParamLayout } from '../../../../../src/main/engine/model/architectures'
import { Rng } from '../../../../../src/main/engine/rng'

const layout = createParamLayout({ vocabSize: 300, seqLen: 16, dModel: 48, nLayers: 3, nHeads: 4 })
const init = (seed: number) => {
  const params = new Float32Array(layout.totalFloats).fill(9)
  initParams(params, layout, seed)
  return params
}
const tensor = (params: Float32Array, name: string) => {
  const t = layout.tensors.find((x) => x.name === name)!
  return params.subarray(t.offset, t.offset + t.size)
}
const std = (x: Float32Array) => {
  const mean = x.reduce((a, b) => a + b, 0) / x.length
  return Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length)
}

describe('GPT-2 initialisation', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer).equals(Buffer.from(b.buffer))
    expect(same(init(5), init(5))).toBe(true)
    expect(same(init(5), init(6))).toBe(false)
    expect(same(init(2 ** 40 + 5), init(5))).toBe(false)
  })

  it('draws N(0, 0.02), residual projections N(0, 0.02/√(2L)), biases 0, LayerNorm weights 1, padding 0', () => {
    const p = init(1)
    expect(std(tensor(p, 'wte.weight'))).toBeCloseTo(0.02, 3)
    expect(std(tensor(p, 'h.2.mlp.c_fc.weight'))).toBeCloseTo(0.02, 3)
    expect(std(tensor(p, 'h.0.attn.c_proj.weight'))).toBeCloseTo(0.02 / Math.sqrt(6), 3)
    expect(std(tensor(p, 'h.1.mlp.c_proj.weight'))).toBeCloseTo(0.02 / Math.sqrt(6), 3)
    expect(tensor(p, 'h.1.attn.c_attn.bias').every((x) => x === 0)).toBe(true)
    expect(tensor(p, 'ln_f.weight').every((x) => x === 1)).toBe(true)
    expect(tensor(p, 'h.0.ln_2.bias').every((x) => x === 0)).toBe(true)
    const used = new Uint8Array(layout.totalFloats)
    for (const t of layout.tensors) used.fill(1, t.offset, t.offset + t.size)
    expect(p.every((x, i) => used[i] || x === 0)).toBe(true)
  })

  it('has a uniform generator in [0, 1) and normals of mean 0, variance 1', () => {
    const rng = Rng.seeded(77)
    let sum = 0
    let squares = 0
    let min = 1
    let max = 0
    for (let i = 0; i < 50_000; i++) {
      const u = rng.nextFloat()
      min = Math.min(min, u)
      max = Math.max(max, u)
      const z = rng.nextNormal()
      sum += z
      squares += z * z
    }
    expect(min).toBeGreaterThanOrEqual(0)
    expect(max).toBeLessThan(1)
    expect(Math.abs(sum / 50_000)).toBeLessThan(0.02)
    expect(squares / 50_000).toBeCloseTo(1, 1)
  })

  it('initParamsYielding draws the same values and lets the event loop run meanwhile', async () => {
    const big = createParamLayout({ vocabSize: 4096, seqLen: 128, dModel: 256, nLayers: 2, nHeads: 8 })
    const sync = new Float32Array(big.totalFloats)
    initParams(sync, big, 11)
    const yielding = new Float32Array(big.totalFloats).fill(3)
    let ticks = 0
    const timer = setInterval(() => ticks++, 0)
    await initParamsYielding(yielding, big, 11)
    clearInterval(timer)
    expect(Buffer.from(yielding.buffer).equals(Buffer.from(sync.buffer))).toBe(true)
    expect(ticks).toBeGreaterThan(0)
  })
})
