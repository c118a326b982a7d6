import { describe, expect, it } from 'vitest'
import { FINE_TUNE_DEFAULTS, resolveConfig, resumedConfig } from '../../../../../src/main/engine/session/resolve-config'
import { resolveRunConfig } from '../../../../../src/shared/training'

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

describe('resolveConfig', () => {
  const given = { model: { embedDim: 32, numHeads: 2 }, training: { learningRate: 0.003 } }

  it('starts a new run from the schema\'s defaults, as the Train form checks it', () => {
    const config = resolveConfig(given, { from: 'scratch' }, machine)
    expect(config).toEqual(resolveRunConfig(given, machine))
    expect(config.model).toMatchObject({ embedDim: 32, numHeads: 2, numLayers: 2, vocabSize: 500 })
    expect(config.model.architecture).toBeUndefined() // gpt2 unless the caller names another
    expect(config.training.threads).toBe(2)
  })

  it('writes out a llama model\'s own defaults, as its checkpoints record them', () => {
    const llama = resolveConfig({ model: { architecture: 'llama', embedDim: 48, numHeads: 6, numKvHeads: 2 } }, { from: 'scratch' }, machine)
    expect(llama.model).toEqual({
      architecture: 'llama', vocabSize: 500, embedDim: 48, numLayers: 2, numHeads: 6, seqLen: 32,
      numKvHeads: 2, ffnDim: 128, normEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: true, qkvBias: false,
    })
    // GPT-2 has none: its section stays as given, a named family included.
    expect(resolveConfig({ model: { architecture: 'gpt2' } }, { from: 'scratch' }, machine).model.architecture).toBe('gpt2')
  })

  it('resumes from the checkpoint\'s settings and refuses a model field that differs from its weights', () => {
    const stored = { model: { ...model, architecture: 'llama' as const, nKvHeads: 2 }, training: { learningRate: 0.01 }, paths: {} }
    const start = { from: 'checkpoint', path: 'x.safetensors', config: stored, tokenizerKind: 'bpe' } as const
    const config = resolveConfig({ training: { maxSteps: 9 } }, start, machine)
    expect(config.model).toMatchObject({ architecture: 'llama', numKvHeads: 2, embedDim: 64 })
    expect(config.training).toMatchObject({ learningRate: 0.01, maxSteps: 9 })
    expect(() => resolveConfig({ model: { numKvHeads: 4 } }, start, machine)).toThrow(
      /model\.numKvHeads: 4 does not match the checkpoint's 2 \(x\.safetensors\)/,
    )
    expect(() => resolveConfig({ model: { architecture: 'gpt2' } }, start, machine)).toThrow(/model\.architecture/)
  })

  it('fine-tunes a model with its shape and tokenizer, and fine-tuning\'s defaults under the caller\'s', () => {
    const initial = { source: 'hf', model, tokenizerKind: 'word' as const, tokenizer: '', params: [] }
    const config = resolveConfig({ training: { maxSteps: 5 } }, { from: 'model', initial }, machine)
    expect(config.model).toMatchObject({ embedDim: 64, numHeads: 4, vocabSize: 500 })
    expect(config.training).toMatchObject({ learningRate: FINE_TUNE_DEFAULTS.learningRate, warmup: 4, tokenizer: 'word' })
    expect(() => resolveConfig(given, { from: 'model', initial }, machine)).toThrow(/--embed-dim 32 differs/)
  })
})
