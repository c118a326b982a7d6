/** A real server with the real engine on temp folders, and the renderer's client connected to it from Node. */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach } from 'vitest'
import { createEngineApi } from '../../../src/main/engine/api/engine-api'
import { createFolderPolicy } from '../../../src/main/server/folder-policy'
import { startServer, type RunningServer } from '../../../src/main/server/ws-server'
import { setApi, WebSocketApi, type WebSocketLike } from '../../../src/renderer/src/api'

export interface EngineFixture {
  dir: string
  corpus: string
  /** Where the engine writes runs (inside dir). */
  checkpointDir: string
  server: RunningServer
  client(token?: string | null): WebSocketApi
  close(): Promise<void>
}

export async function startEngineFixture(
  options: { port?: number; token?: string; mayRead?: string[] } = {},
): Promise<EngineFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'cllm-renderer-'))
  const rendererDir = join(dir, 'renderer')
  await mkdir(rendererDir)
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html>')
  const corpus = join(dir, 'corpus')
  await mkdir(join(corpus, 'notes'), { recursive: true })
  await writeFile(join(corpus, 'one.txt'), 'first line\nsecond line\n')
  await writeFile(join(corpus, 'notes', 'two.md'), '# Notes\nmore text')
  await writeFile(join(corpus, 'blob.bin'), Buffer.from([0, 0, 1, 2, 3]))
  await mkdir(join(corpus, 'node_modules'))
  await writeFile(join(corpus, 'node_modules', 'x.js'), 'x')

  const api = createEngineApi({
    transport: 'websocket',
    version: 'test',
    sampleCorpus: corpus,
    checkpointDir: join(dir, 'checkpoints'),
    mayRead: createFolderPolicy([dir, ...(options.mayRead ?? [])]),
  })
  const server = await startServer({ rendererDir, api, port: options.port, token: options.token })
  const checkpointDir = join(dir, 'checkpoints')
  const clients: WebSocketApi[] = []
  return {
    dir,
    corpus,
    checkpointDir,
    server,
    client(token = server.token) {
      const client = new WebSocketApi({
        url: `ws://127.0.0.1:${server.port}/api`,
        token,
        createSocket: (url, protocols) => new WebSocket(url, protocols) as unknown as WebSocketLike,
        backoffMs: { first: 20, max: 100 },
      })
      clients.push(client)
      return client
    },
    async close() {
      for (const client of clients) client.close()
      await api.shutdown()
      await server.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/**
 * For store tests: before each test a fresh engine fixture, the renderer's API connected to it and a
 * fresh Pinia; after each, both closed. Returns the current test's fixture.
 */
export function connectStoresToEngine(options: Parameters<typeof startEngineFixture>[0] = {}): () => EngineFixture {
  let fixture: EngineFixture | undefined
  beforeEach(async () => {
    fixture = await startEngineFixture(options)
    setApi(fixture.client())
    setActivePinia(createPinia())
  })
  afterEach(async () => {
    setApi(undefined)
    await fixture?.close()
  })
  return () => fixture!
}
