import { describe, expect, it } from 'vitest'
import { resumedConfig } from '../../../../../src/main/engine/session/config'

const machine = { cores: 2, totalMemoryBytes: 8 * 1024 ** 3 }
const model = { vocabSize: 500, dModel: 64, nLayers: 2, nHeads: 4, seqLen: 32 }

describe('resumedConfig', () => {
  it('keeps the whole-file split for a checkpoint made before the split had a method', () => {
    const stored = { model, training: { batchSize: 4, learningRate: 0.001 }, paths: {} }
    expect(resumedConfig(stored, 'bpe', undefined, machine, 'x.safetensors').training.split).toBe('files')
    const recorded = { ...stored, training: { ...stored.training, split: 'blocks' } }
    expect(resumedConfig(recorded, 'bpe', undefined, machine, 'x.safetensors').training.split).toBe('blocks')
  })

  it('does not take the parent run\'s folder name: the child has its own', () => {
    const stored = { model, training: {}, paths: { runName: 'parent', checkpointDir: '/runs' } }
    const config = resumedConfig(stored, 'bpe', undefined, machine, 'x.safetensors')
    expect(config.paths.runName).toBeUndefined()
    expect(config.paths.checkpointDir).toBe('/runs')
    expect(resumedConfig(stored, 'bpe', { paths: { runName: 'child' } }, machine, 'x').paths.runName).toBe('child')
  })
})
