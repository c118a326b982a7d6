/**
 * The default family for new runs, as it will be once switched to llama (the constant mocked): a new
 * run the user describes without naming a family gets it, from flags or a queue entry (the form:
 * tests/unit/renderer/run-form-default.test.ts); a named family, a resumed or fine-tuned run, and a
 * config the schema will refuse are left as given.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'

vi.mock('../../../src/shared/architectures', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../src/shared/architectures')>()),
  DEFAULT_ARCHITECTURE: 'llama',
}))

const { DEFAULT_ARCHITECTURE, withDefaultArchitecture } = await import('../../../src/shared/training')
const { configFromFlags } = await import('../../../src/cli/commands/train')

describe('a new run without a named family, with the default switched to llama', () => {
  it('gets llama', () => {
    expect(DEFAULT_ARCHITECTURE).toBe('llama')
    expect(withDefaultArchitecture(undefined)).toEqual({ model: { architecture: 'llama' } })
    expect(withDefaultArchitecture({ model: { embedDim: 8 }, training: { seed: 1 } })).toEqual({
      model: { embedDim: 8, architecture: 'llama' },
      training: { seed: 1 },
    })
    expect(configFromFlags({ embedDim: 128 }).model).toEqual({ embedDim: 128, architecture: 'llama' })
  })

  it('keeps a named family, a resumed or fine-tuned run\'s, and a model section the schema refuses', () => {
    const named = { model: { architecture: 'gpt2' } }
    expect(withDefaultArchitecture(named)).toBe(named)
    expect(configFromFlags({ arch: 'gpt2' }).model).toEqual({ architecture: 'gpt2' })
    expect(configFromFlags({ resume: 'x.safetensors' }).model).toEqual({})
    expect(configFromFlags({ initFrom: 'model' }).model).toEqual({})
    const wrong = { model: 'big' }
    expect(withDefaultArchitecture(wrong)).toBe(wrong)
  })

  it('reaches a `cllm queue` entry that starts a new run, not one that resumes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cllm-default-arch-'))
    try {
      const queue = await import('../../../src/main/engine/queue')
      const runQueue = vi.spyOn(queue, 'runQueue').mockResolvedValue([])
      const { queueCommand } = await import('../../../src/cli/commands/queue')
      const file = join(dir, 'queue.json')
      await writeFile(file, JSON.stringify([{ folder: 'a' }, { folder: 'b', resume: 'x.safetensors' }, { folder: 'c', config: { model: { architecture: 'gpt2' } } }]))
      await queueCommand(file, { json: true }, { out: () => undefined, err: () => undefined })
      const items = runQueue.mock.calls[0]![0]
      expect(items.map((item) => item.config)).toEqual([{ model: { architecture: 'llama' } }, undefined, { model: { architecture: 'gpt2' } }])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
