/**
 * The Llama architecture on its own: its layout under Hugging Face's names and shapes, the real
 * families' parameter counts, forward and backward against finite differences (reference kernels), the
 * WebAssembly kernels against the reference, recomputed activations bit for bit, and the key/value
 * cache (rotary positions at the cached position) equal to a full forward.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { UserError } from '../../../../../../src/shared/errors'
import { countParams, createParamLayout } from '../../../../../../src/main/engine/model/architectures'
import { defaultFfnDim } from '../../../../../../src/main/engine/model/architectures/llama'
import { validateModelConfig } from '../../../../../../src/main/engine/model/config'
import { assertPlanFits, planMemory } from '../../../../../../src/main/engine/model/memory-plan'
import { estimateMemory } from '../../../../../../src/shared/training'
import type { ModelConfig } from '../../../../../../src/main/engine/model/trainer'
import { Rng } from '../../../../../../src/main/engine/rng'
import { createHarness, directionalChecks, directionalFailures, ensureKernelsBuilt, randomTokens } from '../harness'

const windowsOf = (vocab: number, rows: number, T: number, seed: number): number[][] => {
  const flat = randomTokens(rows * (T + 1), vocab, seed)
  return Array.from({ length: rows }, (_, r) => flat.slice(r * (T + 1), (r + 1) * (T + 1)))
}

/** Grouped-query attention (4 query heads on 2 key/value heads), untied head, q/k/v biases: every path. */
const tiny: ModelConfig = {
  architecture: 'llama', vocabSize: 11, seqLen: 6, dModel: 8, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 6,
  ropeTheta: 100, normEps: 1e-5, tiedEmbeddings: false, qkvBias: true,
}

const SMOLLM2_135M: ModelConfig = {
  architecture: 'llama', vocabSize: 49152, seqLen: 2048, dModel: 576, nLayers: 30, nHeads: 9, nKvHeads: 3,
  ffnDim: 1536, normEps: 1e-5, ropeTheta: 100000, tiedEmbeddings: true, qkvBias: false,
}
const QWEN25_05B: ModelConfig = {
  architecture: 'llama', vocabSize: 151936, seqLen: 32768, dModel: 896, nLayers: 24, nHeads: 14, nKvHeads: 2,
  ffnDim: 4864, normEps: 1e-6, ropeTheta: 1000000, tiedEmbeddings: true, qkvBias: true,
}

beforeAll(() => ensureKernelsBuilt())

describe('Llama layout', () => {
  it('names and shapes every tensor as LlamaForCausalLM does (nn.Linear [out, in])', () => {
    const layout = createParamLayout(tiny)
    const shapes = Object.fromEntries(layout.tensors.map((t) => [t.name, t.shape]))
    expect(shapes).toEqual({
      'model.embed_tokens.weight': [11, 8],
      ...Object.fromEntries([0, 1].flatMap((l) => Object.entries({
        [`model.layers.${l}.input_layernorm.weight`]: [8],
        [`model.layers.${l}.self_attn.q_proj.weight`]: [8, 8],
        [`model.layers.${l}.self_attn.k_proj.weight`]: [4, 8],
        [`model.layers.${l}.self_attn.v_proj.weight`]: [4, 8],
        [`model.layers.${l}.self_attn.q_proj.bias`]: [8],
        [`model.layers.${l}.self_attn.k_proj.bias`]: [4],
        [`model.layers.${l}.self_attn.v_proj.bias`]: [4],
        [`model.layers.${l}.self_attn.o_proj.weight`]: [8, 8],
        [`model.layers.${l}.post_attention_layernorm.weight`]: [8],
        [`model.layers.${l}.mlp.gate_proj.weight`]: [6, 8],
        [`model.layers.${l}.mlp.up_proj.weight`]: [6, 8],
        [`model.layers.${l}.mlp.down_proj.weight`]: [8, 6],
      }))),
      'model.norm.weight': [8],
      'lm_head.weight': [11, 8],
    })
    // q | k | v and gate | up lie back to back: one matrix each.
    const at = (name: string) => layout.tensors.find((t) => t.name === name)!
    expect(at('model.layers.1.self_attn.k_proj.weight').offset).toBe(at('model.layers.1.self_attn.q_proj.weight').offset + 64)
    expect(at('model.layers.1.self_attn.v_proj.weight').offset).toBe(at('model.layers.1.self_attn.k_proj.weight').offset + 32)
    expect(at('model.layers.1.mlp.up_proj.weight').offset).toBe(at('model.layers.1.mlp.gate_proj.weight').offset + 48)
    // Weight decay on matrices only, as for GPT-2.
    const decayed = layout.tensors.filter((t) => t.decay).map((t) => t.name)
    expect(decayed.every((n) => n.endsWith('.weight') && !n.includes('norm'))).toBe(true)
    expect(decayed).toContain('model.embed_tokens.weight')
    expect(layout.paramCount).toBe(countParams(tiny))
    const tied = createParamLayout({ ...tiny, tiedEmbeddings: true, qkvBias: false })
    expect(tied.tensors.some((t) => t.name === 'lm_head.weight' || t.name.endsWith('.bias'))).toBe(false)
  })

  it('counts the real families: SmolLM2-135M 134,515,008 and Qwen2.5-0.5B 494,032,768 parameters', () => {
    expect(countParams(SMOLLM2_135M)).toBe(134_515_008)
    expect(createParamLayout(SMOLLM2_135M).paramCount).toBe(134_515_008)
    expect(countParams(QWEN25_05B)).toBe(494_032_768)
    // The default SwiGLU width gives the MLP GPT-2's 8·C² weights: SmolLM2's 1536 at width 576.
    expect(defaultFfnDim(576)).toBe(1536)
  })

  it('refuses what it cannot build, naming the flag', () => {
    const refuse = (patch: Partial<ModelConfig>): string => {
      try {
        validateModelConfig({ ...tiny, ...patch })
      } catch (error) {
        expect(error).toBeInstanceOf(UserError)
        return (error as Error).message
      }
      throw new Error('accepted')
    }
    expect(refuse({ nKvHeads: 3 })).toMatch(/--num-kv-heads \(3\) must divide --num-heads \(4\)/)
    expect(refuse({ nHeads: 8 })).toMatch(/head size .* must be even/)
    expect(refuse({ ffnDim: 0 })).toMatch(/--ffn-dim/)
    expect(refuse({ architecture: 'bert' as never })).toMatch(/--arch must be one of gpt2, llama/)
  })
})

describe('Llama forward and backward', () => {
  it('matches central finite differences along a random direction in every tensor (reference kernels)', async () => {
    const h = await createHarness(tiny, 3, 'reference', 7)
    const rng = Rng.seeded(3)
    for (const t of h.layout.tensors) {
      const spread = t.init === 'ones' ? 0.1 : 0.3
      for (let i = 0; i < t.size; i++) h.params[t.offset + i] = (t.init === 'ones' ? 1 : 0) + rng.nextNormal() * spread
    }
    h.setWindows(windowsOf(tiny.vocabSize, 3, tiny.seqLen, 11))
    h.lossAndGrad()
    const checks = directionalChecks(h, Float64Array.from(h.grads), rng)
    for (const check of checks) expect(Math.abs(check.analytic), check.name).toBeGreaterThan(1e-5)
    expect(directionalFailures(checks)).toEqual([])
  })

  it('gives the same loss and gradient with the WebAssembly kernels as with the reference (tied, no biases, GQA)', async () => {
    const config: ModelConfig = { architecture: 'llama', vocabSize: 37, seqLen: 9, dModel: 24, nLayers: 2, nHeads: 6, nKvHeads: 2 }
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

  it('gives bit-identical loss and gradients when backward recomputes attention and SwiGLU (wasm and reference)', async () => {
    const config: ModelConfig = { ...tiny, vocabSize: 40, seqLen: 16, dModel: 32, nLayers: 3, nHeads: 4, nKvHeads: 1, ffnDim: 20 }
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

  it('a generation step from the key/value cache gives exactly the full forward\'s logits at that position', async () => {
    const config: ModelConfig = { architecture: 'llama', vocabSize: 50, seqLen: 12, dModel: 32, nLayers: 2, nHeads: 4, nKvHeads: 2 }
    const h = await createHarness(config, 1, 'wasm', 3)
    const tokens = randomTokens(config.seqLen, config.vocabSize, 8)
    const area = h.plan.shards[0]
    const V = config.vocabSize
    const logitsAt = (t: number): number[] => Array.from(h.f32.subarray(area.logits / 4 + t * V, area.logits / 4 + (t + 1) * V))
    for (let j = 0; j < config.seqLen; j++) h.i32[area.tokens / 4 + j] = tokens[j]
    const full: number[][] = []
    for (let n = 1; n <= config.seqLen; n++) {
      h.shard.forward(1, n, false)
      full.push(logitsAt(n - 1))
    }
    h.shard.forward(1, 4, false)
    for (let t = 4; t < config.seqLen; t++) {
      h.shard.forwardStep(t)
      expect(logitsAt(t), `position ${t}`).toEqual(full[t])
    }
  })

  it('starts near ln(vocab)', async () => {
    const config: ModelConfig = { architecture: 'llama', vocabSize: 500, seqLen: 32, dModel: 64, nLayers: 2, nHeads: 4, nKvHeads: 2 }
    const h = await createHarness(config, 4, 'wasm', 123)
    h.setWindows(windowsOf(config.vocabSize, 4, config.seqLen, 5))
    expect(Math.abs(h.loss() - Math.log(config.vocabSize))).toBeLessThan(0.1)
  })
})

describe('Llama memory plan at real sizes', () => {
  it('fits the SmolLM2-135M shape on 2 threads (batch 2 × 512, activations recomputed; batch 4 × 256 stored), as the run config estimates', () => {
    const machine = 16 * 2 ** 30
    for (const [seqLen, batch, recompute] of [[512, 2, true], [256, 4, false]] as const) {
      const plan = planMemory(createParamLayout({ ...SMOLLM2_135M, seqLen }), batch, 2)
      expect(plan.shards[0].recompute).toBe(recompute)
      expect(() => assertPlanFits(plan, machine)).not.toThrow()
      const { vocabSize, dModel: embedDim, nLayers: numLayers, nHeads: numHeads, nKvHeads: numKvHeads, ffnDim } = SMOLLM2_135M
      const estimate = estimateMemory({ architecture: 'llama', vocabSize, embedDim, numLayers, numHeads, numKvHeads, ffnDim, seqLen }, batch, 2)
      expect(Math.abs(estimate.totalBytes - estimate.sphereBytes - plan.totalBytes) / plan.totalBytes).toBeLessThan(0.01)
    }
    // At its full context of 2048 it does not fit a WebAssembly memory, and the refusal says how much it needs.
    const full = planMemory(createParamLayout(SMOLLM2_135M), 2, 2)
    expect(() => assertPlanFits(full, machine)).toThrow(/needs 7\.\d GB of memory for --batch-size 2 × --seq-len 2048 on 2 threads.*lower --batch-size or --seq-len/)
  })

  it('plans the Qwen2.5-0.5B shape and refuses it with the number it needs: its weights alone are beyond 4 GiB', () => {
    const plan = planMemory(createParamLayout({ ...QWEN25_05B, seqLen: 256 }), 1, 1)
    expect(plan.layout.paramCount).toBe(494_032_768)
    expect(() => assertPlanFits(plan, 64 * 2 ** 30)).toThrow(
      /The model's 494,032,768 parameters need 7\.9 GB for weights, AdamW moments and gradients on 1 thread before any activation \(\d+\.\d GB in all for --batch-size 1 × --seq-len 256\), more than the 4\.3 GB a WebAssembly memory can address; choose a smaller model/,
    )
  })
})
