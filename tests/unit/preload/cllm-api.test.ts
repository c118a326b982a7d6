/**
 * The preload's API wired to the real IPC binding and the real engine: a call goes renderer →
 * preload → ipcMain handler (sender check, dispatcher, schema) → engine and back, and engine events
 * come back through webContents.send → ipcRenderer → the listener.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EventEmitter } from 'node:events'
import type { IpcRendererEvent } from 'electron'

vi.mock('electron', () => import('../main/fake-electron'))

const fake = await import('../main/fake-electron')
const { createCllmApi } = await import('../../../src/preload/cllm-api')
const { bindIpc, createSenderCheck, forwardEvents } = await import('../../../src/main/ipc')
const { createEngineApi } = await import('../../../src/main/engine/api/engine-api')

let folder: string
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cllm-preload-'))
  await writeFile(join(folder, 'story.txt'), 'Once upon a time.\n')
})
afterAll(() => rm(folder, { recursive: true, force: true }))

function connect() {
  const renderer = { kind: 'app' as const, root: '/app/out/renderer', url: 'app://cllm/index.html' }
  const window = new fake.BrowserWindow({})
  window.webContents.mainFrame.url = renderer.url
  const engine = createEngineApi({ transport: 'ipc', version: '0.0.1', sampleCorpus: folder, mayRead: (f) => f.startsWith(folder) })
  fake.ipcMain.handlers.clear()
  bindIpc(fake.ipcMain, engine.dispatch, createSenderCheck(() => window as never, renderer))
  forwardEvents(engine.events, () => window.webContents as never)

  // The renderer side of Electron IPC: invoke reaches the handler as our window; send reaches `on`.
  const rendererSide = new EventEmitter()
  const origin = { sender: window.webContents, senderFrame: window.webContents.mainFrame }
  const ipc = {
    invoke: (channel: string, ...args: unknown[]) => fake.ipcMain.invoke(channel, origin, ...args),
    on: (channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void) => rendererSide.on(channel, listener),
    removeListener: (channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void) =>
      rendererSide.removeListener(channel, listener),
  }
  const send = window.webContents.send.bind(window.webContents)
  window.webContents.send = (channel: string, ...args: unknown[]) => {
    send(channel, ...args)
    rendererSide.emit(channel, {}, ...args)
  }
  return { api: createCllmApi(ipc), engine }
}

describe('window.cllm over IPC to the real engine', () => {
  it('scans a folder and streams its progress', async () => {
    const { api } = connect()
    const progress: number[] = []
    const off = api.on('corpus.progress', (payload) => progress.push(payload.filesAccepted))
    const result = await api.call('corpus.scan', { folder, scanId: 'p1' })
    off()
    if (!result.ok) throw new Error(result.error.message)
    expect(result.value.totals.files).toBe(1)
    expect(result.value.totals.bytes).toBe(18)
    expect(progress.at(-1)).toBe(1)
  })

  it('returns the engine’s typed errors unchanged', async () => {
    const { api } = connect()
    const missing = await api.call('corpus.scan', { folder: join(folder, 'nope') })
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found' } })
    const elsewhere = await api.call('corpus.scan', { folder: tmpdir() })
    expect(elsewhere).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  })

  it('delivers events emitted by main, such as a folder picked from the menu', () => {
    const { api, engine } = connect()
    const picked: string[] = []
    api.on('app.folderPicked', ({ folder }) => picked.push(folder))
    engine.events.emit('app.folderPicked', { folder: '/home/me/notes' })
    expect(picked).toEqual(['/home/me/notes'])
  })
})
