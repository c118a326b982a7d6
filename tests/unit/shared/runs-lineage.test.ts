import { describe, expect, it } from 'vitest'
import { lineageText, modelSourceName } from '../../../src/shared/runs'

const parent = { runDir: '/c/run-a', runName: 'run-a', checkpoint: '/c/run-a/checkpoint_step_500.safetensors', step: 1500, sha256: 'ab' }

describe('lineage in words', () => {
  it('says "resumed from" with the parent and step, and "fine-tuned from" with the model', () => {
    expect(lineageText({ parent })).toBe('resumed from run-a at step 1,500')
    expect(lineageText({ parent }, 'My title')).toBe('resumed from My title at step 1,500')
    expect(lineageText({ parent: null, initFrom: '/models/gpt2/' })).toBe('fine-tuned from gpt2')
    expect(lineageText({ parent: null, initFrom: 'C:\\runs\\run-b\\final_model.safetensors' })).toBe('fine-tuned from run-b/final_model.safetensors')
    expect(lineageText({ parent: null, initFrom: null })).toBeNull()
    expect(lineageText({ parent: { ...parent, runName: null } })).toBe('resumed from run-a/checkpoint_step_500.safetensors at step 1,500')
  })

  it('names a model source as people name it', () => {
    expect(modelSourceName('gpt2')).toBe('gpt2')
    expect(modelSourceName('/a/b/checkpoint_step_5.safetensors')).toBe('b/checkpoint_step_5.safetensors')
  })
})
