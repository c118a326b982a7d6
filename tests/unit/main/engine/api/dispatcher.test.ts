import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  createDispatcher,
  describeZodError,
  toApiError,
  type Handlers,
} from '../../../../../src/main/engine/api/dispatcher'
import { UserError } from '../../../../../src/shared/errors'

const context = { transport: 'test' } as const

function handlers(overrides: Partial<Handlers> = {}): Handlers {
  return {
    'app.info': async () => ({
      version: '1.2.3',
      sampleCorpus: '/sample',
      canPickFolder: false,
      transport: 'websocket',
      cores: 2,
    }),
    'corpus.pickFolder': async () => ({ folder: null }),
    'corpus.scan': async () => {
      throw new UserError('not-found', 'Folder not found: /nowhere')
    },
    'corpus.cancelScan': async ({ scanId }) => ({ cancelled: scanId === 'known' }),
    ...overrides,
  } as Handlers
}

describe('createDispatcher', () => {
  it('runs a known method with validated input', async () => {
    const dispatch = createDispatcher(handlers())
    expect(await dispatch('corpus.cancelScan', { scanId: 'known' }, context)).toEqual({
      ok: true,
      value: { cancelled: true },
    })
  })

  it('refuses an unknown method', async () => {
    const result = await dispatch('fs.readFile', {})
    expect(result).toEqual({
      ok: false,
      error: { code: 'unknown-method', message: 'Unknown method: fs.readFile' },
    })
  })

  it('refuses input that does not match the schema, naming the field', async () => {
    const result = await dispatch('corpus.scan', { folder: '' })
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.error.code).toBe('invalid-input')
      expect(result.error.message).toContain('folder')
    }
  })

  it('refuses extra fields where the schema is strict', async () => {
    const result = await dispatch('app.info', { evil: true })
    expect(result.ok).toBe(false)
  })

  it('turns a UserError into its code and message', async () => {
    expect(await dispatch('corpus.scan', { folder: '/nowhere' })).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'Folder not found: /nowhere' },
    })
  })

  it('never returns a stack trace for an unexpected failure', async () => {
    const dispatch = createDispatcher(
      handlers({
        'app.info': async () => {
          throw new TypeError('boom\n    at secret (/src/file.ts:1:1)')
        },
      }),
    )
    const result = await dispatch('app.info', {}, context)
    expect(result).toEqual({
      ok: false,
      error: { code: 'internal', message: 'Something went wrong: boom' },
    })
  })
})

describe('error helpers', () => {
  it('describes zod issues with their paths', () => {
    const parsed = z.object({ a: z.object({ b: z.number() }) }).safeParse({ a: { b: 'x' } })
    expect(parsed.success).toBe(false)
    if (!parsed.success) expect(describeZodError(parsed.error)).toMatch(/^a\.b: /)
  })

  it('maps non-Error throwables', () => {
    expect(toApiError('plain')).toEqual({
      code: 'internal',
      message: 'Something went wrong: plain',
    })
  })
})

function dispatch(method: string, input: unknown) {
  return createDispatcher(handlers())(method, input, context)
}
