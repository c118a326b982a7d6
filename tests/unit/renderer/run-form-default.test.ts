/** The Train form once the default family is switched to llama (the constant mocked). */
import { describe, expect, it, vi } from 'vitest'

vi.mock('../../../src/shared/architectures', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../src/shared/architectures')>()),
  DEFAULT_ARCHITECTURE: 'llama',
}))

const { defaultForm, formToConfig } = await import('../../../src/renderer/src/run-form')

describe('run form with the default switched to llama', () => {
  it('opens on llama and sends it; gpt2 chosen is sent as the absent field, which is gpt2', () => {
    const form = defaultForm(2)
    expect(form.architecture).toBe('llama')
    expect(formToConfig(form).model).toMatchObject({ architecture: 'llama' })
    form.architecture = 'gpt2'
    expect(formToConfig(form).model).not.toHaveProperty('architecture')
  })
})
