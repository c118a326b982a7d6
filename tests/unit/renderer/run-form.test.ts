import { describe, expect, it } from 'vitest'
import {
  PRESETS,
  applyPreset,
  checkForm,
  defaultForm,
  formToConfig,
  matchingPreset,
  memoryLimitReason,
  queuedConfigSummary,
  stepTimeEstimate,
  withFieldLabels,
} from '../../../src/renderer/src/run-form'
import {
  DEFAULT_ARCHITECTURE,
  RunConfig,
  WASM32_MAX_BYTES,
  architectureField,
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
    const defaults = RunConfig.parse({ model: architectureField(DEFAULT_ARCHITECTURE), training: { threads: 2 } })
    expect(parsed).toEqual(defaults)
    expect(checkForm(form, machine).config).not.toBeNull()
  })

  it('chooses the architecture: key/value heads only for llama (sent, checked and estimated), presets for both', () => {
    const form = defaultForm(2)
    form.architecture = 'gpt2'
    form.numKvHeads = 3
    expect(formToConfig(form).model).not.toHaveProperty('numKvHeads')
    expect(checkForm(form, machine).config).not.toBeNull()
    form.architecture = 'llama'
    expect(matchingPreset(form)).toBe('tiny')
    expect(formToConfig(form).model).toMatchObject({ architecture: 'llama', numKvHeads: 3 })
    expect(checkForm(form, machine).fieldErrors.numKvHeads).toBe('must divide Heads (4 is not a multiple of 3)')
    form.numKvHeads = 2
    applyPreset(form, PRESETS[1])
    const check = checkForm(form, machine)
    const model = RunConfig.parse(formToConfig(form)).model
    expect(model).toMatchObject({ architecture: 'llama', embedDim: 256, numKvHeads: 2 })
    expect(check.estimate).toEqual(estimateMemory(model, Number(form.batchSize), 2))
    expect(check.estimate?.parameters).toBe(countParameters(model))
    form.numKvHeads = ''
    expect(formToConfig(form).model).not.toHaveProperty('numKvHeads')
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
    expect(engine).toContain('model.numHeads: must divide embedDim')
    // The same rule, in the words of the form: the label the user sees, not the config name.
    expect(check.fieldErrors.numHeads).toBe('must divide Embedding size (64 is not a multiple of 3)')
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
    expect(() => resolveRunConfig(formToConfig(form), machine)).toThrow(/^model: with .* batchSize \d+ .*\(embedDim, numLayers, vocabSize, seqLen\)/)
    expect(huge.configError).toMatch(/^with .* Batch size \d+ .*\(Embedding size, Layers, Vocabulary, Context\)/)
    expect(huge.configError).not.toMatch(/\b[a-z]+[A-Z]|model:/)
  })

  it('limits memory to the machine’s share when that is below one WebAssembly memory', () => {
    const check = checkForm(defaultForm(1), { cores: 1, totalMemoryBytes: 1024 ** 3 })
    expect(check.memoryLimit).toBeLessThan(1024 ** 3)
  })

  it('says why the memory limit is what it is: the WebAssembly memory, or the machine’s share', () => {
    const big = { cores: 8, totalMemoryBytes: 23 * 1024 ** 3 }
    expect(memoryLimitReason(checkForm(defaultForm(8), big).memoryLimit, big)).toMatch(/WebAssembly memory/)
    const small = { cores: 2, totalMemoryBytes: 2 * 1024 ** 3 }
    expect(memoryLimitReason(checkForm(defaultForm(2), small).memoryLimit, small)).toMatch(/^\d+% of this machine’s 2\.00 GiB/)
  })

  it('has the CLI’s weight decay, gradient clip and validation share, checked by the engine’s rules', () => {
    const form = defaultForm(2)
    expect(formToConfig(form).training).toMatchObject({ weightDecay: 0.01, gradClip: 1, valFraction: 0.1 })
    form.valFraction = 0.9
    form.gradClip = -1
    const check = checkForm(form, machine)
    expect(check.fieldErrors.valFraction).toBe('must be above 0 and at most 0.5')
    expect(check.fieldErrors.gradClip).toBeTruthy()
    expect(check.config).toBeNull()
  })

  it('gives the measured time in minutes for the run’s steps, or per step when the steps are unknown', () => {
    expect(stepTimeEstimate(120, 1500)).toBe('≈ 3 min for 1,500 steps')
    expect(stepTimeEstimate(20, 40)).toBe('< 1 min for 40 steps')
    expect(stepTimeEstimate(900, 100_000)).toBe('≈ 1,500 min for 100,000 steps')
    expect(stepTimeEstimate(250, null)).toBe('0.25 s per step (tokenize to know the steps)')
  })

  it('leaves plain words alone when naming fields', () => {
    expect(withFieldLabels('training.batchSize: with 8 threads keep the seqLen small')).toBe('with 8 threads keep the Context small')
  })

  it('sums up a queued run: preset or size, its length, its learning rate', () => {
    const tiny = defaultForm()
    tiny.maxSteps = 1500
    expect(queuedConfigSummary(formToConfig(tiny))).toBe('Tiny · 1,500 steps · lr 0.001')
    const small = defaultForm()
    applyPreset(small, PRESETS[1])
    small.epochs = 2
    expect(queuedConfigSummary(formToConfig(small))).toBe('Small · 2 epochs · lr 0.0005')
    const custom = { model: { vocabSize: 300, embedDim: 32, numLayers: 1, numHeads: 2, seqLen: 32 }, training: { maxSteps: 10, learningRate: 0.003 } }
    expect(queuedConfigSummary(custom)).toBe('Custom 32d · 1 layer · 10 steps · lr 0.003')
    // Fine-tuning: the model brings the size, the engine its rate; nothing usable reads as a dash.
    expect(queuedConfigSummary({ training: { maxSteps: 5 } }, '/models/gpt2/')).toBe('From gpt2 · 5 steps · lr default')
    expect(queuedConfigSummary('junk')).toBe('Custom —d · — layers · 1 epoch · lr default')
  })
})
