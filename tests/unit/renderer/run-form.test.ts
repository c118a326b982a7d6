import { describe, expect, it } from 'vitest'
import {
  PRESETS,
  applyPreset,
  checkForm,
  defaultForm,
  formToConfig,
  matchingPreset,
} from '../../../src/renderer/src/run-form'
import {
  RunConfig,
  WASM32_MAX_BYTES,
  countParameters,
  estimateMemory,
  resolveRunConfig,
} from '../../../src/shared/training'

const machine = { cores: 2, totalMemoryBytes: 16 * 1024 ** 3 }

describe('run form', () => {
  it('opens on the Tiny preset, which is the original CLLM example’s defaults', () => {
    const form = defaultForm(2)
    expect(matchingPreset(form)).toBe('tiny')
    const parsed = RunConfig.parse(formToConfig(form))
    const defaults = RunConfig.parse({ training: { threads: 2 } })
    expect(parsed).toEqual(defaults)
    expect(checkForm(form, machine).config).not.toBeNull()
  })

  it('names the field of an impossible config, with the engine’s own sentence', () => {
    const form = defaultForm(2)
    form.numHeads = 3
    const check = checkForm(form, machine)
    expect(check.config).toBeNull()
    const engine = (() => {
      try {
        resolveRunConfig(formToConfig(form), machine)
        return ''
      } catch (error) {
        return (error as Error).message
      }
    })()
    expect(engine).toContain('model.numHeads')
    expect(engine).toContain(check.fieldErrors.numHeads)
    expect(Object.keys(check.fieldErrors)).toEqual(['numHeads'])
  })

  it('reports a required field left empty or not a number, and leaves optional ones out', () => {
    const form = defaultForm(2)
    form.embedDim = ''
    form.learningRate = 'abc'
    form.maxSteps = ''
    const check = checkForm(form, machine)
    expect(check.fieldErrors.embedDim).toBeTruthy()
    expect(check.fieldErrors.learningRate).toBeTruthy()
    expect(check.fieldErrors.maxSteps).toBeUndefined()
    expect(check.estimate).toBeNull()
    expect('maxSteps' in (formToConfig(defaultForm(2)).training ?? {})).toBe(false)
  })

  it('checks the vocabulary against the chosen tokenizer', () => {
    const form = defaultForm(2)
    form.vocabSize = 100
    expect(checkForm(form, machine).fieldErrors.vocabSize).toMatch(/bpe/)
    form.tokenizer = 'word'
    expect(checkForm(form, machine).fieldErrors.vocabSize).toBeUndefined()
  })

  it('estimates the run as the engine does and refuses one too big for memory', () => {
    const form = defaultForm(2)
    applyPreset(form, PRESETS[1])
    expect(matchingPreset(form)).toBe('small')
    const small = checkForm(form, machine)
    const model = RunConfig.parse(formToConfig(form)).model
    expect(small.estimate).toEqual(estimateMemory(model, Number(form.batchSize), 2))
    expect(small.estimate?.parameters).toBe(countParameters(model))
    expect(small.configError).toBeNull()

    form.embedDim = 4096
    form.numLayers = 48
    const huge = checkForm(form, machine)
    expect(matchingPreset(form)).toBe('custom')
    expect(huge.config).toBeNull()
    expect(huge.fieldErrors).toEqual({})
    expect(huge.estimate!.totalBytes).toBeGreaterThan(huge.memoryLimit)
    expect(huge.memoryLimit).toBe(WASM32_MAX_BYTES)
    expect(() => resolveRunConfig(formToConfig(form), machine)).toThrow(huge.configError!)
  })

  it('limits memory to the machine’s share when that is below one WebAssembly memory', () => {
    const check = checkForm(defaultForm(1), { cores: 1, totalMemoryBytes: 1024 ** 3 })
    expect(check.memoryLimit).toBeLessThan(1024 ** 3)
  })
})
