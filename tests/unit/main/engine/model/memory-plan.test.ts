import { describe, expect, it } from 'vitest'
import { UserError } from '../../../../../src/shared/errors'
import { estimateMemory } from '../../../../../src/shared/training'
import { createParamLayout } from '../../../../../src/main/engine/model/architectures'
import { assertPlanFits, planMemory, WASM32_MAX_BYTES } from '../../../../../src/main/engine/model/memory-plan'
import type { Gpt2ShardArea } from '../../../../../src/main/engine/model/architectures/gpt2'

const config = { vocabSize: 500, seqLen: 32, dModel: 64, nLayers: 2, nHeads: 4 }

describe('memory plan', () => {
  it('gives every region its own 64-byte aligned, non-overlapping range after the reserved bytes', () => {
    const layout = createParamLayout(config)
    const plan = planMemory(layout, 5, 2)
    expect(plan.rowsPerSphere).toBe(3)
    const P = layout.totalFloats * 4
    const ranges: [number, number][] = [
      [plan.params, P], [plan.adamM, P], [plan.adamV, P], ...plan.grads.map((g): [number, number] => [g, P]),
      ...plan.shards.map((s): [number, number] => [s.start, s.bytes]),
    ]
    ranges.sort((a, b) => a[0] - b[0])
    expect(ranges[0][0]).toBeGreaterThanOrEqual(plan.reservedBytes)
    for (let i = 0; i < ranges.length; i++) {
      expect(ranges[i][0] % 64).toBe(0)
      if (i > 0) expect(ranges[i][0]).toBeGreaterThanOrEqual(ranges[i - 1][0] + ranges[i - 1][1])
    }
    const last = ranges[ranges.length - 1]
    expect(plan.totalBytes).toBe(last[0] + last[1])
    expect(plan.pages * 65536).toBeGreaterThanOrEqual(plan.totalBytes)
    // The shard holds the logits of all its rows: rows·T·V floats.
    const shard = plan.shards[1]
    expect(shard.losses - shard.logits).toBeGreaterThanOrEqual(3 * 32 * 500 * 4)
  })

  it('is close to the run config estimate the CLI and UI show', () => {
    const plan = planMemory(createParamLayout(config), 16, 2)
    const { vocabSize, seqLen, dModel: embedDim, nLayers: numLayers, nHeads: numHeads } = config
    const estimate = estimateMemory({ vocabSize, seqLen, embedDim, numLayers, numHeads }, 16, 2)
    // The plan is the shared memory; the estimate adds each sphere's own thread on top.
    const shared = estimate.totalBytes - estimate.sphereBytes
    expect(Math.abs(plan.totalBytes - shared) / plan.totalBytes).toBeLessThan(0.1)
  })

  it('refuses a plan beyond 4 GiB or the machine share, naming the flags to lower', () => {
    const gpt2 = createParamLayout({ vocabSize: 50257, seqLen: 1024, dModel: 768, nLayers: 12, nHeads: 12 })
    const plan = planMemory(gpt2, 64, 4)
    expect(plan.totalBytes).toBeGreaterThan(WASM32_MAX_BYTES)
    expect(() => assertPlanFits(plan, 1e12)).toThrow(UserError)
    expect(() => assertPlanFits(plan, 1e12)).toThrow(
      /needs \d+\.\d GB of memory for --batch-size 64 × --seq-len 1024 on 4 threads.*WebAssembly memory can address; lower --batch-size or --seq-len/,
    )
    const small = planMemory(createParamLayout(config), 4, 1)
    expect(() => assertPlanFits(small, 64e9)).not.toThrow()
    expect(() => assertPlanFits(small, 1e6)).toThrow(/80% of this machine's 0\.00 GB/)
  })

  it('fits GPT-2 124M at context 1024 on 1 and 2 spheres: stored activations on 1, recomputed on 2', () => {
    const shape = { vocabSize: 50257, seqLen: 1024, dModel: 768, nLayers: 12, nHeads: 12 }
    const gpt2 = createParamLayout(shape)
    expect(gpt2.paramCount).toBe(124_439_808) // GPT-2 small: 124M
    const one = planMemory(gpt2, 1, 1)
    expect(one.shards[0].recompute).toBe(false)
    expect(() => assertPlanFits(one, 64e9)).not.toThrow()
    const stored = planMemory(gpt2, 2, 2, undefined, 'stored')
    expect(stored.totalBytes).toBeGreaterThan(WASM32_MAX_BYTES)
    const two = planMemory(gpt2, 2, 2)
    expect(two.shards.every((s) => s.recompute)).toBe(true)
    expect(() => assertPlanFits(two, 64e9)).not.toThrow()
    const estimate = estimateMemory({ vocabSize: 50257, seqLen: 1024, embedDim: 768, numLayers: 12, numHeads: 12 }, 2, 2)
    expect(Math.abs(two.totalBytes - estimate.totalBytes) / two.totalBytes).toBeLessThan(0.05)
    expect(estimate.totalBytes).toBeLessThan(WASM32_MAX_BYTES)
  })

  it('a recomputing plan shares one attention matrix and one GELU output among the layers', () => {
    const layout = createParamLayout({ ...config, nLayers: 3 })
    const stored = planMemory(layout, 2, 1, undefined, 'stored').shards[0] as Gpt2ShardArea
    const shared = planMemory(layout, 2, 1, undefined, 'recomputed').shards[0] as Gpt2ShardArea
    expect(new Set(shared.layers.map((l) => l.att)).size).toBe(1)
    expect(new Set(shared.layers.map((l) => l.fchGelu)).size).toBe(1)
    expect(new Set(stored.layers.map((l) => l.att)).size).toBe(3)
    const saved = 2 * (4 * 32 * 32 + 32 * 4 * 64) * 4 // (3 − 1) layers of att and fchGelu, 2 rows
    expect(stored.bytes - shared.bytes).toBeGreaterThanOrEqual(saved * 2 - 64 * 8)
  })
})
