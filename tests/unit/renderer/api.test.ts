import { afterEach, describe, expect, it } from 'vitest'
import {
  MISSING_TOKEN_MESSAGE,
  tokenFromHash,
  webSocketUrl,
  type ConnectionState,
} from '../../../src/renderer/src/api'
import { startServer } from '../../../src/main/server/ws-server'
import { createEngineApi } from '../../../src/main/engine/api/engine-api'
import { startEngineFixture, type EngineFixture } from './engine-fixture'

let fixture: EngineFixture | undefined
afterEach(async () => {
  await fixture?.close()
  fixture = undefined
})

describe('WebSocketApi', () => {
  it('calls methods and receives events over the real server', async () => {
    fixture = await startEngineFixture()
    const api = fixture.client()
    const info = await api.call('app.info', {})
    expect(info).toMatchObject({
      ok: true,
      value: { transport: 'websocket', sampleCorpus: fixture.corpus },
    })
    expect(api.connectionState()).toBe('open')

    const seen: string[] = []
    const off = api.on('corpus.progress', (payload) => seen.push(payload.scanId))
    const scan = await api.call('corpus.scan', { folder: fixture.corpus, scanId: 'mine' })
    expect(scan.ok && scan.value.totals.files).toBe(2)
    expect(seen.length).toBeGreaterThan(0)
    expect(new Set(seen)).toEqual(new Set(['mine']))
    off()
  })

  it('sends calls made before the connection is up, in order, once it is', async () => {
    fixture = await startEngineFixture()
    const api = fixture.client()
    const results = await Promise.all([
      api.call('app.info', {}),
      api.call('corpus.cancelScan', { scanId: 'none' }),
    ])
    expect(results).toEqual([
      expect.objectContaining({ ok: true }),
      { ok: true, value: { cancelled: false } },
    ])
  })

  it('says clearly when the token is missing or refused, and stops trying', async () => {
    fixture = await startEngineFixture()
    const none = fixture.client(null)
    expect(none.connectionState()).toBe('unauthorized')
    expect(await none.call('app.info', {})).toEqual({
      ok: false,
      error: { code: 'forbidden', message: MISSING_TOKEN_MESSAGE },
    })

    const wrong = fixture.client('w'.repeat(32))
    const states: ConnectionState[] = []
    wrong.onConnectionState((state) => states.push(state))
    const result = await wrong.call('app.info', {})
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: expect.stringContaining('refused the access token') },
    })
    expect(states).toEqual(['unauthorized'])
  })

  it('reconnects with the same token after the server comes back', async () => {
    fixture = await startEngineFixture()
    const { port, token } = fixture.server
    const api = fixture.client()
    expect((await api.call('app.info', {})).ok).toBe(true)
    const states: ConnectionState[] = []
    api.onConnectionState((state) => states.push(state))
    await fixture.server.close()
    await until(() => states.includes('reconnecting'))

    const engine = createEngineApi({
      transport: 'websocket',
      version: 'again',
      sampleCorpus: fixture.corpus,
      mayRead: () => true,
    })
    const again = await startServer({
      rendererDir: `${fixture.dir}/renderer`,
      api: engine,
      port,
      token,
    })
    try {
      const info = await api.call('app.info', {})
      expect(info).toMatchObject({ ok: true, value: { version: 'again' } })
      expect(states.at(-1)).toBe('open')
    } finally {
      await again.close()
    }
  })
})

describe('address helpers', () => {
  it('reads the token from the fragment', () => {
    expect(tokenFromHash('#token=abc_DEF-123')).toBe('abc_DEF-123')
    expect(tokenFromHash('#view=data&token=xyz')).toBe('xyz')
    expect(tokenFromHash('')).toBeNull()
    expect(tokenFromHash('#token=')).toBeNull()
  })

  it('reaches the WebSocket at the page’s own origin', () => {
    expect(webSocketUrl({ protocol: 'http:', host: '127.0.0.1:5000' })).toBe(
      'ws://127.0.0.1:5000/api',
    )
    expect(webSocketUrl({ protocol: 'https:', host: 'studio.lan' })).toBe('wss://studio.lan/api')
  })
})

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
