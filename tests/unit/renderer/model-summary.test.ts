import { describe, expect, it } from 'vitest'
import { describeModelSummary } from '../../../src/renderer/src/model-summary'

describe('describeModelSummary', () => {
  it('names the family and the shape of a GPT-2 folder, a Qwen2 folder and a Llama checkpoint', () => {
    const gpt2 = { path: '/m', kind: 'huggingface' as const, family: 'gpt2', tokenizer: 'bpe' as const, parameters: 124_439_808, model: { vocabSize: 50257, embedDim: 768, numLayers: 12, numHeads: 12, seqLen: 1024 } }
    expect(describeModelSummary(gpt2)).toBe('GPT-2 · 768d · 12 layers · 12 heads · context 1024 · BPE 50257 · 124 M parameters')
    const qwen2 = { ...gpt2, family: 'qwen2', parameters: 23_296, model: { architecture: 'llama' as const, vocabSize: 272, embedDim: 32, numLayers: 2, numHeads: 4, numKvHeads: 1, seqLen: 32 } }
    expect(describeModelSummary(qwen2)).toMatch(/^Qwen2 · 32d · 2 layers · 4\/1 heads \(query\/key-value\) · context 32 · BPE 272 · /)
    const { family: _family, ...checkpoint } = { ...qwen2, kind: 'checkpoint' as const }
    expect(describeModelSummary(checkpoint)).toMatch(/^Llama · /)
    expect(describeModelSummary({ ...gpt2, family: 'phi3' })).toMatch(/^phi3 · /)
  })
})
