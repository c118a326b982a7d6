import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngineApi } from '../../../../src/main/engine/api/engine-api'
import { loadCorpus } from '../../../../src/main/engine/corpus'
import { createFolderPolicy } from '../../../../src/main/server/folder-policy'
import { startServer, type RunningServer } from '../../../../src/main/server/ws-server'
import { WsClose } from '../../../../src/shared/ws-protocol'
import { connect, refusedStatus } from './ws-test-client'

let dir: string
let rendererDir: string
let allowed: string
let outside: string
let server: RunningServer
let wsUrl: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cllm-server-'))
  rendererDir = join(dir, 'renderer')
  await mkdir(join(rendererDir, 'assets'), { recursive: true })
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>studio</title>')
  await writeFile(join(rendererDir, 'assets', 'app.js'), 'console.log(1)')
  await writeFile(join(rendererDir, 'assets', 'app.css'), 'body{}')
  await writeFile(join(dir, 'secret.txt'), 'SECRET-OUTSIDE-RENDERER')
  await symlink(join(dir, 'secret.txt'), join(rendererDir, 'assets', 'link.txt'))

  allowed = join(dir, 'allowed')
  await mkdir(join(allowed, 'docs'), { recursive: true })
  await writeFile(join(allowed, 'a.txt'), 'alpha\nbeta\n')
  await writeFile(join(allowed, 'docs', 'b.md'), '# Title\n\nSome text about things.')
  await writeFile(join(allowed, 'image.bin'), Buffer.from([0, 1, 2, 3, 0, 255]))
  outside = join(dir, 'outside')
  await mkdir(outside)
  await writeFile(join(outside, 'c.txt'), 'not for the UI')

  const api = createEngineApi({
    transport: 'websocket',
    version: '9.9.9',
    sampleCorpus: allowed,
    mayRead: createFolderPolicy([allowed]),
  })
  server = await startServer({ rendererDir, api, authTimeoutMs: 300, maxMessageBytes: 64 * 1024 })
  wsUrl = `ws://127.0.0.1:${server.port}/api`
})

afterAll(async () => {
  await server?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('static files', () => {
  it('serves the renderer with its MIME types and the strict CSP', async () => {
    const page = await fetch(server.url)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await page.text()).toContain('<title>studio</title>')
    const csp = page.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("object-src 'none'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`)
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')

    const js = await fetch(`${server.url}assets/app.js`)
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    const css = await fetch(`${server.url}assets/app.css`)
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
    expect((await fetch(`${server.url}assets/missing.js`)).status).toBe(404)
  })

  it('never serves a file outside the renderer folder', async () => {
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/link.txt',
      '/..%5csecret.txt',
    ]) {
      const response = await rawGet(server.port, path)
      expect(response.body, path).not.toContain('SECRET-OUTSIDE-RENDERER')
      expect(response.status, path).toBeGreaterThanOrEqual(400)
    }
  })

  it('answers only GET and HEAD, and only for its own host name', async () => {
    expect((await fetch(server.url, { method: 'POST', body: 'x' })).status).toBe(405)
    const head = await fetch(server.url, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
    // A DNS-rebinding page reaches 127.0.0.1 under a foreign name.
    expect((await rawGet(server.port, '/', 'evil.example:80')).status).toBe(403)
    expect((await rawGet(server.port, '/', `localhost:${server.port}`)).status).toBe(200)
  })
})

describe('WebSocket access', () => {
  it('answers a client that offers the token as a subprotocol', async () => {
    const client = connect(wsUrl, { token: server.token })
    expect(await client.next()).toEqual({ authenticated: true })
    expect(client.ws.protocol).toBe('cllm.v1')
    const info = await client.request('app.info', {})
    expect(info).toMatchObject({
      ok: true,
      value: { version: '9.9.9', transport: 'websocket', canPickFolder: false },
    })
    client.ws.close()
  })

  it('accepts the token in the query or in the first message', async () => {
    const byQuery = connect(`${wsUrl}?token=${server.token}`)
    expect(await byQuery.next()).toEqual({ authenticated: true })
    byQuery.ws.close()

    const byMessage = connect(wsUrl)
    await new Promise((resolve) => byMessage.ws.once('open', resolve))
    byMessage.ws.send(JSON.stringify({ token: server.token }))
    expect(await byMessage.next()).toEqual({ authenticated: true })
    expect((await byMessage.request('app.info', {})).ok).toBe(true)
    byMessage.ws.close()
  })

  it('closes a connection without the token, with a reason, and answers nothing', async () => {
    const silent = connect(wsUrl)
    expect(await silent.closed).toEqual({
      code: WsClose.unauthorized,
      reason: expect.stringContaining('access token'),
    })

    const wrong = connect(wsUrl, { token: 'x'.repeat(32) })
    expect((await wrong.closed).code).toBe(WsClose.unauthorized)

    const asksFirst = connect(wsUrl)
    await new Promise((resolve) => asksFirst.ws.once('open', resolve))
    asksFirst.ws.send(JSON.stringify({ id: 1, method: 'app.info', input: {} }))
    const received: unknown[] = []
    asksFirst.ws.on('message', (data) => received.push(String(data)))
    expect((await asksFirst.closed).code).toBe(WsClose.unauthorized)
    expect(received).toEqual([])
  })

  it('refuses a handshake from another web site (cross-site WebSocket hijacking)', async () => {
    const foreign = connect(wsUrl, {
      token: server.token,
      headers: { Origin: 'http://evil.example' },
    })
    expect(await refusedStatus(foreign)).toBe(403)
    const own = connect(wsUrl, {
      token: server.token,
      headers: { Origin: `http://127.0.0.1:${server.port}` },
    })
    expect(await own.next()).toEqual({ authenticated: true })
    own.ws.close()
    const elsewhere = connect(`ws://127.0.0.1:${server.port}/other`, { token: server.token })
    expect(await refusedStatus(elsewhere)).toBe(404)
  })
})

describe('WebSocket calls', () => {
  it('scans a folder with progress events and returns the loader’s own totals', async () => {
    const client = connect(wsUrl, { token: server.token })
    await client.next()
    const progress = client.next<{ payload: { scanId: string } }>(
      (m) => m.event === 'corpus.progress',
    )
    const result = await client.request('corpus.scan', { folder: allowed, scanId: 'scan-1' })
    const direct = await loadCorpus({ folder: allowed })
    expect(result.ok).toBe(true)
    const value = result.value as {
      scanId: string
      totals: unknown
      files: unknown
      skipped: unknown
    }
    expect(value.scanId).toBe('scan-1')
    expect(value.totals).toEqual(direct.summary.totals)
    expect(value.files).toEqual(direct.summary.files)
    expect(value.skipped).toEqual(direct.summary.skipped)
    expect((await progress).payload.scanId).toBe('scan-1')
    client.ws.close()
  })

  it('sends user errors as typed results: forbidden, not found, unknown method', async () => {
    const client = connect(wsUrl, { token: server.token })
    await client.next()
    const forbidden = await client.request('corpus.scan', { folder: outside })
    expect(forbidden).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(forbidden.error?.message).toContain(outside)
    const missing = await client.request('corpus.scan', { folder: join(allowed, 'nope') })
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found' } })
    expect(await client.request('corpus.delete', {})).toMatchObject({
      ok: false,
      error: { code: 'unknown-method' },
    })
    expect(await client.request('corpus.scan', { folder: 42 })).toMatchObject({
      ok: false,
      error: { code: 'invalid-input' },
    })
    client.ws.close()
  })

  it('answers malformed messages with an error and keeps serving', async () => {
    const client = connect(wsUrl, { token: server.token })
    await client.next()
    for (const bad of [
      'not json',
      '[1,2]',
      '"text"',
      JSON.stringify({ method: 'app.info' }),
      JSON.stringify({ id: {}, method: 'app.info' }),
    ]) {
      client.ws.send(bad)
      const reply = await client.next<{
        id: unknown
        result: { ok: boolean; error: { code: string } }
      }>()
      expect(reply.id).toBeNull()
      expect(reply.result).toMatchObject({ ok: false, error: { code: 'invalid-input' } })
    }
    client.ws.send(JSON.stringify({ id: 7, input: {} }))
    expect(await client.next()).toMatchObject({
      id: 7,
      result: { ok: false, error: { code: 'invalid-input' } },
    })
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true })
    expect(await client.next()).toMatchObject({ id: null, result: { ok: false } })
    expect((await client.request('app.info', {})).ok).toBe(true)
    client.ws.close()
  })

  it('closes a connection that sends a message over the size limit', async () => {
    const client = connect(wsUrl, { token: server.token })
    await client.next()
    client.ws.send(
      JSON.stringify({ id: 1, method: 'app.info', input: { pad: 'x'.repeat(100 * 1024) } }),
    )
    expect((await client.closed).code).toBe(1009)
    const again = connect(wsUrl, { token: server.token })
    expect(await again.next()).toEqual({ authenticated: true })
    again.ws.close()
  })
})

describe('close', () => {
  it('closes its clients and stops listening', async () => {
    const api = createEngineApi({
      transport: 'websocket',
      version: '1',
      sampleCorpus: allowed,
      mayRead: () => true,
    })
    const own = await startServer({ rendererDir, api, port: 0 })
    const client = connect(`ws://127.0.0.1:${own.port}/api`, { token: own.token })
    await client.next()
    await own.close()
    expect((await client.closed).code).toBe(WsClose.shuttingDown)
    await expect(fetch(own.url)).rejects.toThrow()
  })

  it('prints a fresh random token unless one is given, and refuses an unsafe one', async () => {
    const api = createEngineApi({
      transport: 'websocket',
      version: '1',
      sampleCorpus: allowed,
      mayRead: () => true,
    })
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(server.openUrl).toBe(`http://127.0.0.1:${server.port}/#token=${server.token}`)
    await expect(startServer({ rendererDir, api, token: 'short' })).rejects.toThrow(/access token/)
    await expect(startServer({ rendererDir, api, token: 'a'.repeat(20) + ' b' })).rejects.toThrow(
      /access token/,
    )
  })
})

/** A GET with the path sent as is (fetch would normalise `..` away) and an optional Host header. */
async function rawGet(
  port: number,
  path: string,
  host = `127.0.0.1:${port}`,
): Promise<{ status: number; body: string }> {
  const { request } = await import('node:http')
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'GET', headers: { Host: host } },
      (res) => {
        let body = ''
        res.on('data', (chunk) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}
