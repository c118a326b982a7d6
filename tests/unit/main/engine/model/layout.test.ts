import { describe, expect, it } from 'vitest'
import { UserError } from '../../../../../src/shared/errors'
import { validateModelConfig } from '../../../../../src/main/engine/model/config'
import { countParams, createParamLayout } from '../../../../../src/main/engine/model/architectures'

const config = { vocabSize: 500, seqLen: 32, dModel: 64, nLayers: 2, nHeads: 4 }

describe('parameter layout', () => {
  it('names and shapes every tensor as Hugging Face GPT-2 does, weights [in, out]', () => {
    const layout = createParamLayout(config)
    const shapes = Object.fromEntries(layout.tensors.map((t) => [t.name, t.shape]))
    expect(shapes).toMatchObject({
      'wte.weight': [500, 64],
      'wpe.weight': [32, 64],
      'h.1.ln_1.weight': [64],
      'h.1.attn.c_attn.weight': [64, 192],
      'h.1.attn.c_attn.bias': [192],
      'h.1.attn.c_proj.weight': [64, 64],
      'h.1.mlp.c_fc.weight': [64, 256],
      'h.1.mlp.c_proj.weight': [256, 64],
      'h.1.mlp.c_proj.bias': [64],
      'ln_f.bias': [64],
    })
    expect(layout.tensors).toHaveLength(2 + 12 * 2 + 2)
    expect(layout.tensors.some((t) => t.name.includes('lm_head'))).toBe(false)
  })

  it('counts parameters (tiny config: 134,144) and lays tensors out 16-byte aligned without overlap', () => {
    const layout = createParamLayout(config)
    expect(layout.paramCount).toBe(134_144)
    expect(countParams(config)).toBe(134_144)
    let end = 0
    for (const t of layout.tensors) {
      expect(t.offset % 4).toBe(0)
      expect(t.offset).toBeGreaterThanOrEqual(end)
      expect(t.size).toBe(t.shape.reduce((a, b) => a * b, 1))
      end = t.offset + t.size
    }
    expect(layout.totalFloats % 16).toBe(0)
    expect(layout.totalFloats).toBeGreaterThanOrEqual(end)
    const odd = createParamLayout({ vocabSize: 7, seqLen: 3, dModel: 6, nLayers: 1, nHeads: 3 })
    expect(odd.paramCount).toBe(countParams(odd.config))
  })

  it('decays matrices (embeddings included) and never biases or LayerNorm', () => {
    const layout = createParamLayout(config)
    const decayed = layout.tensors.filter((t) => t.decay).map((t) => t.name)
    expect(decayed).toContain('wte.weight')
    expect(decayed).toContain('wpe.weight')
    expect(decayed).toContain('h.0.attn.c_attn.weight')
    expect(decayed.some((n) => n.endsWith('.bias') || n.includes('ln_'))).toBe(false)
  })

  it('refuses configs that cannot be built, naming the flag', () => {
    const refuse = (patch: object) => {
      try {
        validateModelConfig({ ...config, ...patch })
      } catch (error) {
        expect(error).toBeInstanceOf(UserError)
        return (error as Error).message
      }
      throw new Error('accepted')
    }
    expect(refuse({ nHeads: 3 })).toMatch(/--num-heads \(3\) must divide --embed-dim \(64\)/)
    expect(refuse({ nLayers: 0 })).toMatch(/--num-layers/)
    expect(refuse({ dModel: NaN })).toMatch(/--embed-dim/)
    expect(refuse({ vocabSize: 1.5 })).toMatch(/--vocab-size/)
  })
})
