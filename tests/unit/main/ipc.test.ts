import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

vi.mock('electron', () => import('./fake-electron'))

const fake = await import('./fake-electron')
const { bindIpc, createSenderCheck, forwardEvents } = await import('../../../src/main/ipc')
const { createEngineApi } = await import('../../../src/main/engine/api/engine-api')
const { createDispatcher } = await import('../../../src/main/engine/api/dispatcher')
const { EventHub } = await import('../../../src/main/engine/api/event-hub')
const { ReadAccess } = await import('../../../src/main/read-access')
const { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } = await import('../../../src/shared/ipc-channels')

const renderer = { kind: 'app' as const, root: '/app/out/renderer', url: 'app://cllm/index.html' }
const pageUrl = renderer.url

let root: string
let allowed: string
let forbidden: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cllm-ipc-'))
  allowed = join(root, 'allowed')
  forbidden = join(root, 'forbidden')
  await mkdir(join(allowed, 'sub'), { recursive: true })
  await mkdir(forbidden)
  await writeFile(join(allowed, 'a.txt'), 'one\ntwo\n')
  await writeFile(join(allowed, 'sub', 'b.md'), 'three\n')
  await writeFile(join(forbidden, 'secret.txt'), 'do not read\n')
})
afterAll(() => rm(root, { recursive: true, force: true }))

/** A window showing our page, the engine behind IPC, and the calls as the window would make them. */
function setup() {
  fake.ipcMain.handlers.clear()
  const window = new fake.BrowserWindow({})
  window.webContents.mainFrame.url = pageUrl
  const access = new ReadAccess([allowed])
  const engine = createEngineApi({
    transport: 'ipc',
    version: '1.2.3',
    sampleCorpus: allowed,
    pickFolder: async () => null,
    mayRead: (folder) => access.mayRead(folder),
  })
  const unbind = bindIpc(fake.ipcMain, engine.dispatch, createSenderCheck(() => window as never, renderer))
  const unforward = forwardEvents(engine.events, () => window.webContents as never)
  const fromWindow = { sender: window.webContents, senderFrame: window.webContents.mainFrame }
  const call = (method: unknown, input?: unknown, event: unknown = fromWindow) =>
    fake.ipcMain.invoke(IPC_CALL_CHANNEL, event, method, input) as Promise<
      { ok: true; value: Record<string, unknown> } | { ok: false; error: { code: string; message: string } }
    >
  return { window, engine, call, unbind, unforward, fromWindow }
}

describe('IPC binding', () => {
  beforeEach(() => fake.ipcMain.handlers.clear())

  it('binds one channel, and removes it again', () => {
    const { unbind } = setup()
    expect([...fake.ipcMain.handlers.keys()]).toEqual([IPC_CALL_CHANNEL])
    unbind()
    expect(fake.ipcMain.handlers.size).toBe(0)
  })

  it('passes good calls from our window to the engine', async () => {
    const { call } = setup()
    const info = await call('app.info', {})
    expect(info).toMatchObject({ ok: true, value: { version: '1.2.3', sampleCorpus: allowed, canPickFolder: true, transport: 'ipc' } })
  })

  it('scans an allowed folder for real and refuses any other folder', async () => {
    const { call } = setup()
    const scan = await call('corpus.scan', { folder: allowed, scanId: 'scan-1' })
    if (!scan.ok) throw new Error(scan.error.message)
    expect(scan.value.scanId).toBe('scan-1')
    expect(scan.value.totals).toMatchObject({ files: 2, bytes: 14, lines: 3 })
    expect((scan.value.files as Array<{ path: string }>).map((file) => file.path)).toEqual(['a.txt', 'sub/b.md'])

    const refused = await call('corpus.scan', { folder: forbidden })
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(!refused.ok && refused.error.message).toContain(forbidden)
    const escaped = await call('corpus.scan', { folder: join(allowed, '..', 'forbidden') })
    expect(escaped).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  })

  it('refuses unknown methods and bad input with typed errors', async () => {
    const { call } = setup()
    expect(await call('fs.readFile', { path: '/etc/passwd' })).toMatchObject({ ok: false, error: { code: 'unknown-method' } })
    expect(await call('__proto__', {})).toMatchObject({ ok: false, error: { code: 'unknown-method' } })
    expect(await call(42, {})).toMatchObject({ ok: false, error: { code: 'unknown-method' } })
    const bad = await call('corpus.scan', { folder: 7 })
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-input' } })
    expect(!bad.ok && bad.error.message).toMatch(/^folder: /)
    expect(await call('app.info', { extra: true })).toMatchObject({ ok: false, error: { code: 'invalid-input' } })
  })

  it('refuses calls from anything but our window’s main frame showing our page', async () => {
    const { call, window, fromWindow } = setup()
    const other = new fake.FakeWebContents(pageUrl)
    const foreign = [
      { sender: other, senderFrame: other.mainFrame },
      { sender: window.webContents, senderFrame: null },
      { sender: window.webContents, senderFrame: new fake.FakeFrame(pageUrl, window.webContents.mainFrame) },
      { sender: window.webContents, senderFrame: new fake.FakeFrame('https://example.com/') },
      { sender: window.webContents, senderFrame: new fake.FakeFrame('file:///tmp/evil.html') },
    ]
    for (const event of foreign) {
      const result = await call('app.info', {}, event)
      expect(result).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    }
    expect(await call('app.info', {}, fromWindow)).toMatchObject({ ok: true })
    window.close()
    expect(await call('app.info', {}, fromWindow)).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  })

  it('accepts the window wherever the app is installed (Windows drive letters, %, spaces): it compares the URL it loaded', async () => {
    const { rendererLocation } = await import('../../../src/main/app-paths')
    const installs = [
      'c:\\Users\\Zoë\\100% sure\\CLLM Studio\\resources\\app.asar\\out\\main',
      'C:\\Program Files\\CLLM Studio\\resources\\app.asar\\out\\main',
      '/home/me/50%25 off/CLLM Studio/resources/app.asar/out/main',
    ]
    for (const mainDir of installs) {
      const location = rendererLocation({ mainDir, isPackaged: true, devServerUrl: undefined })
      const window = new fake.BrowserWindow({})
      await window.loadURL(location.url)
      const check = createSenderCheck(() => window as never, location)
      const frame = window.webContents.mainFrame
      expect(check({ sender: window.webContents, senderFrame: frame } as never), mainDir).toBe(true)
      // A file:// page at the install folder, spelled as Chromium would, is not our page.
      const asFile = `file:///${mainDir.replaceAll('\\', '/').replace(/^\//, '')}/../renderer/index.html`
      expect(check({ sender: window.webContents, senderFrame: new fake.FakeFrame(asFile) } as never)).toBe(false)
    }
  })

  it('never lets an exception cross: a throwing dispatcher or sender check becomes a typed error', async () => {
    fake.ipcMain.handlers.clear()
    bindIpc(
      fake.ipcMain,
      async () => {
        throw new Error('kaboom\n    at secret (/src/file.ts:1:1)')
      },
      () => true,
    )
    const result = (await fake.ipcMain.invoke(IPC_CALL_CHANNEL, {}, 'app.info', {})) as { ok: false; error: { code: string; message: string } }
    expect(result).toEqual({ ok: false, error: { code: 'internal', message: 'Something went wrong: kaboom' } })

    fake.ipcMain.handlers.clear()
    const dispatch = createDispatcher({
      'app.info': async () => {
        throw new TypeError('handler bug')
      },
    } as never)
    bindIpc(fake.ipcMain, dispatch, () => {
      throw new Error('frame gone')
    })
    expect(await fake.ipcMain.invoke(IPC_CALL_CHANNEL, {}, 'app.info', {})).toMatchObject({ ok: false, error: { code: 'internal' } })
  })

  it('sends engine events to the window while it is open', async () => {
    const { call, window, unforward } = setup()
    const result = await call('corpus.scan', { folder: allowed, scanId: 'with-progress' })
    expect(result.ok).toBe(true)
    const progress = window.webContents.sent.filter((message) => message.channel === IPC_EVENT_CHANNEL)
    expect(progress.length).toBeGreaterThan(0)
    const last = progress.at(-1)!.args[0] as { event: string; payload: Record<string, unknown> }
    expect(last).toMatchObject({ event: 'corpus.progress', payload: { scanId: 'with-progress', filesAccepted: 2 } })

    unforward()
    const before = window.webContents.sent.length
    await call('corpus.scan', { folder: allowed })
    expect(window.webContents.sent.length).toBe(before)
  })

  it('drops events once the window is gone instead of throwing', () => {
    const events = new EventHub()
    const window = new fake.BrowserWindow({})
    forwardEvents(events, () => window.webContents as never)
    events.emit('app.folderPicked', { folder: '/x' })
    window.close()
    expect(() => events.emit('app.folderPicked', { folder: '/y' })).not.toThrow()
    expect(window.webContents.sent).toEqual([{ channel: IPC_EVENT_CHANNEL, args: [{ event: 'app.folderPicked', payload: { folder: '/x' } }] }])
  })
})
