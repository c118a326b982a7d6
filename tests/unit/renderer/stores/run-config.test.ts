import { describe, expect, it } from 'vitest'
import { defaultForm } from '../../../../src/renderer/src/run-form'
import { readSavedForm, saveForm } from '../../../../src/renderer/src/stores/run-config'

function memoryStorage(): Storage {
  const items = new Map<string, string>()
  return {
    get length() {
      return items.size
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, String(value)),
  }
}

describe('remembered run settings', () => {
  it('come back as they were saved; the sphere count only when the user set it', () => {
    const store = memoryStorage()
    const form = { ...defaultForm(8), embedDim: 128, learningRate: '3e-4', tokenizer: 'word' as const }
    saveForm(form, false, store)
    expect(readSavedForm(store)).toEqual(Object.fromEntries(Object.entries(form).filter(([key]) => key !== 'threads')))
    saveForm({ ...form, threads: 3 }, true, store)
    expect(readSavedForm(store)).toMatchObject({ threads: 3, embedDim: 128 })
  })

  it('drop what is not a field of the form, or not a field’s kind, and survive damaged storage', () => {
    const store = memoryStorage()
    store.setItem('cllm.runSettings', JSON.stringify({ embedDim: 96, evil: 'x', numLayers: { a: 1 }, tokenizer: 'sentencepiece' }))
    expect(readSavedForm(store)).toEqual({ embedDim: 96 })
    store.setItem('cllm.runSettings', '{not json')
    expect(readSavedForm(store)).toBeNull()
    expect(readSavedForm(undefined)).toBeNull()
  })
})
