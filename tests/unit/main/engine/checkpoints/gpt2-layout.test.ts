import { describe, expect, it } from 'vitest'
import {
  checkpointTensorLayout,
  gpt2ParamLayout,
} from '../../../../../src/main/engine/checkpoints/gpt2-layout'
import { createParamLayout } from '../../../../../src/main/engine/model/architectures'
import { gpt2Shapes, TINY } from './fixtures'

const configs = [TINY, { vocabSize: 4096, seqLen: 128, dModel: 256, nLayers: 4, nHeads: 8 }]

describe('GPT-2 tensor layout of checkpoints', () => {
  it('is Hugging Face GPT-2’s parameter list, in its order', () => {
    for (const config of configs) {
      expect(gpt2ParamLayout(config).map((t) => [t.name, t.shape])).toEqual(gpt2Shapes(config))
    }
  })

  it('agrees with the trainer’s parameter layout, so a trainer state always fits a checkpoint', () => {
    for (const config of configs) {
      expect(gpt2ParamLayout(config)).toEqual(
        createParamLayout(config).tensors.map(({ name, shape }) => ({ name, shape })),
      )
    }
  })

  it('adds both AdamW moments under optimizer.m. and optimizer.v.', () => {
    const names = checkpointTensorLayout(TINY).map((t) => t.name)
    expect(names).toHaveLength(3 * gpt2Shapes(TINY).length)
    expect(names).toContain('optimizer.m.h.1.mlp.c_fc.bias')
    expect(names.at(-1)).toBe('optimizer.v.ln_f.bias')
  })
})
