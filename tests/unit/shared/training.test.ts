import { describe, expect, it } from 'vitest'
import {
  countParameters,
  estimateMemory,
  GenerateOptions,
  resolveRunConfig,
  maxSpheres,
  SPHERE_OVERHEAD_BYTES,
  RunConfig,
  trainingEvents,
  WASM32_MAX_BYTES,
} from '../../../src/shared/training'
import { UserError } from '../../../src/shared/errors'

const machine = { cores: 2, totalMemoryBytes: 16 * 1024 ** 3 }

function refusal(input: unknown, on = machine): string {
  try {
    resolveRunConfig(input, on)
  } catch (error) {
    expect(error).toBeInstanceOf(UserError)
    expect((error as UserError).code).toBe('invalid-config')
    return (error as Error).message
  }
  throw new Error(`config was accepted: ${JSON.stringify(input)}`)
}

describe('run config', () => {
  it('fills in the defaults of the original CLLM example', () => {
    const config = resolveRunConfig({}, machine)
    expect(config.model).toEqual({ vocabSize: 500, embedDim: 64, numLayers: 2, numHeads: 4, seqLen: 32 })
    expect(config.training).toMatchObject({ batchSize: 4, learningRate: 0.001, epochs: 1, tokenizer: 'bpe' })
    expect(config.training.threads).toBe(machine.cores)
    expect(config.paths.checkpointDir).toBe('./checkpoints')
  })

  it('keeps what the caller set', () => {
    const config = resolveRunConfig({ model: { embedDim: 96, numHeads: 6 }, training: { threads: 1 } }, machine)
    expect(config.model.embedDim).toBe(96)
    expect(config.training.threads).toBe(1)
    expect(config.model.vocabSize).toBe(500)
  })

  it('refuses impossible configs naming the field', () => {
    expect(refusal({ model: { numHeads: 3 } })).toMatch(/^model\.numHeads: must divide embedDim/)
    expect(refusal({ model: { embedDim: 0 } })).toMatch(/^model\.embedDim: must be at least 1/)
    expect(refusal({ model: { numLayers: -2 } })).toMatch(/^model\.numLayers:/)
    expect(refusal({ model: { seqLen: 2.5 } })).toMatch(/^model\.seqLen: must be a whole number/)
    expect(refusal({ training: { batchSize: 0 } })).toMatch(/^training\.batchSize:/)
    expect(refusal({ training: { learningRate: Number.NaN } })).toMatch(/^training\.learningRate:/)
    expect(refusal({ training: { learningRate: Infinity } })).toMatch(/^training\.learningRate:/)
    expect(refusal({ training: { learningRate: -0.1 } })).toMatch(/^training\.learningRate:/)
    expect(refusal({ training: { threads: 0 } })).toMatch(/^training\.threads:/)
    expect(refusal({ model: { vocabSize: 100 } })).toMatch(/^model\.vocabSize: .*bpe/)
    expect(refusal({ model: { vocabSize: 10_000_000 } })).toMatch(/^model\.vocabSize:/)
    expect(resolveRunConfig({ model: { vocabSize: 100 }, training: { tokenizer: 'word' } }, machine).model.vocabSize).toBe(100)
  })

  it('refuses a model that does not fit in memory, with the figures', () => {
    const huge = { model: { embedDim: 4096, numLayers: 48, numHeads: 32 } }
    expect(refusal(huge)).toMatch(/^model: .*needs [\d.]+ GiB, more than the 4\.00 GiB a WebAssembly memory can hold/)
    const small = { totalMemoryBytes: 512 * 1024 ** 2, cores: 2 }
    const medium = { model: { embedDim: 512, numLayers: 8, numHeads: 8, vocabSize: 8192 } }
    expect(refusal(medium, small)).toMatch(/more than the 410 MiB training may use on this machine/)
    expect(() => resolveRunConfig(medium, machine)).not.toThrow()
  })

  it('counts the memory of every thread', () => {
    const model = RunConfig.parse({}).model
    const one = estimateMemory(model, 4, 1)
    const four = estimateMemory(model, 4, 4)
    expect(four.stateBytes - one.stateBytes).toBe(3 * one.parameters * 4)
    expect(one.totalBytes).toBeLessThan(WASM32_MAX_BYTES)
  })

  it('counts GPT-2 parameters (124M for the GPT-2 small shape)', () => {
    const gpt2 = { vocabSize: 50257, embedDim: 768, numLayers: 12, numHeads: 12, seqLen: 1024 }
    expect(countParameters(gpt2)).toBe(124_439_808)
  })

  it('has a schema for every training event and for generation options', () => {
    expect(Object.keys(trainingEvents)).toContain('training.progress')
    expect(GenerateOptions.parse({})).toMatchObject({ temperature: 0.8, topK: 0, topP: 1 })
    expect(GenerateOptions.safeParse({ topP: 0 }).success).toBe(false)
  })
})

describe('bounds checked before any work', () => {
  it('allows at most min(batch size, 4 × cores) spheres and defaults to no more than the batch', () => {
    expect(maxSpheres(4, 2)).toBe(4)
    expect(maxSpheres(64, 2)).toBe(8)
    expect(resolveRunConfig({ training: { batchSize: 2 } }, { ...machine, cores: 8 }).training.threads).toBe(2)
    expect(refusal({ training: { threads: 1000 } })).toMatch(
      /training\.threads: 1000 spheres is more than this run can use: at most 4 \(the smaller of batchSize 4 and 4 × 2 cores\)/,
    )
    expect(refusal({ training: { threads: 9, batchSize: 64 } })).toMatch(/at most 8/)
  })

  it('counts each sphere’s own memory in the estimate', () => {
    const model = { vocabSize: 500, embedDim: 64, numLayers: 2, numHeads: 4, seqLen: 32 }
    const estimate = estimateMemory(model, 4, 4)
    expect(estimate.sphereBytes).toBe(4 * SPHERE_OVERHEAD_BYTES)
    expect(estimate.totalBytes).toBe(estimate.stateBytes + estimate.activationBytes + estimate.sphereBytes)
  })

  it('refuses a warm-up as long as the run', () => {
    expect(refusal({ training: { warmup: 50, maxSteps: 50 } })).toMatch(
      /training\.warmup: 50 steps of warm-up are not fewer than the run's 50 steps/,
    )
    expect(() => resolveRunConfig({ training: { warmup: 49, maxSteps: 50 } }, machine)).not.toThrow()
  })
})
