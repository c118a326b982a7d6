/**
 * The app's lifecycle, with a fake `electron` and the real glue and engine behind it. Each test
 * loads src/main/index.ts afresh (it starts the app on import, as Electron runs it).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

vi.mock('electron', () => import('./fake-electron'))

type Fake = typeof import('./fake-electron')
type Window = InstanceType<Fake['BrowserWindow']>
type CallResult =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; error: { code: string } }

let repo: string
let picked: string
beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'cllm-app-'))
  await mkdir(join(repo, 'resources', 'sample-corpus'), { recursive: true })
  await writeFile(join(repo, 'resources', 'sample-corpus', 'tale.txt'), 'A short tale.\n')
  picked = join(repo, 'picked')
  await mkdir(picked)
  await writeFile(join(picked, 'notes.txt'), 'Notes.\n')
})
afterAll(() => rm(repo, { recursive: true, force: true }))

beforeEach(() => {
  vi.resetModules()
  delete process.env.ELECTRON_RENDERER_URL
})

/** Loads a fresh fake electron, lets the test set it up, then runs the app's entry module. */
async function launch(prepare: (fake: Fake) => void = () => {}): Promise<Fake> {
  vi.resetModules()
  const fake = (await import('electron')) as unknown as Fake
  fake.resetFakeElectron()
  fake.app.appPath = repo
  // A fresh profile per launch, so what one test remembers never leaks into the next.
  fake.app.userData = await mkdtemp(join(repo, 'profile-'))
  prepare(fake)
  await import('../../../src/main/index')
  return fake
}

async function ready(fake: Fake): Promise<Window> {
  fake.app.becomeReady()
  await vi.waitFor(() => expect(fake.BrowserWindow.instances.length).toBeGreaterThan(0))
  return fake.BrowserWindow.instances.at(-1)!
}

function callFrom(fake: Fake, window: Window, method: string, input: unknown): Promise<CallResult> {
  const event = { sender: window.webContents, senderFrame: window.webContents.mainFrame }
  return fake.ipcMain.invoke('cllm:call', event, method, input) as Promise<CallResult>
}

describe('app lifecycle', () => {
  it('quits at once when another instance already runs', async () => {
    const fake = await launch((f) => (f.app.lockGranted = false))
    expect(fake.app.quitCalls).toBe(1)
    expect(fake.app.listenerCount('window-all-closed')).toBe(0)
    // Nothing waits to start: no window can open when Electron is ready (read after it is, not after a sleep).
    expect(fake.app.whenReadyCalls).toBe(0)
    expect(fake.app.listenerCount('ready')).toBe(0)
    fake.app.becomeReady()
    await fake.app.whenReady()
    expect(fake.BrowserWindow.instances).toHaveLength(0)
  })

  it('when ready: secures the session, binds IPC, installs the menu, opens one sandboxed window on the built page', async () => {
    const fake = await launch()
    expect(fake.BrowserWindow.instances).toHaveLength(0)
    const window = await ready(fake)
    expect(fake.BrowserWindow.instances).toHaveLength(1)
    expect(window.options.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
    })
    expect(String((window.options.webPreferences as { preload: string }).preload)).toMatch(
      /preload[/\\]index\.cjs$/,
    )
    expect(window.loaded).toEqual({ url: 'app://cllm/index.html' })
    expect(fake.session.defaultSession.headersListener).toBeTypeOf('function')
    expect(fake.session.defaultSession.permissionCheckHandler?.({}, 'media', 'app://cllm', {})).toBe(false)
    expect([...fake.ipcMain.handlers.keys()]).toEqual(['cllm:call'])
    expect(fake.Menu.setApplicationMenu).toHaveBeenCalledTimes(1)
    expect(fake.app.aboutOptions).toMatchObject({
      applicationName: 'CLLM Studio',
      applicationVersion: '9.9.9-test',
    })
  })

  it('registers app:// as a privileged scheme before ready, and serves only the renderer folder on it', async () => {
    const renderer = join(repo, 'out', 'renderer')
    await mkdir(join(renderer, 'assets'), { recursive: true })
    await writeFile(join(renderer, 'index.html'), '<!doctype html><title>CLLM</title>')
    await writeFile(join(renderer, 'assets', 'app.js'), 'export {}')
    await writeFile(join(repo, 'out', 'secret.txt'), 'not for the page')
    const fake = await launch()
    expect(fake.protocol.privileged).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
    ])
    await ready(fake)
    const handler = fake.protocol.handlers.get('app')!
    // The entry module sits in out/main (mainDir); here the tests run it from src/main, so its
    // renderer folder is <repo>/src/renderer: check the mapping with a handler on the fixture folder.
    const { createAppRequestHandler } = await import('../../../src/main/app-protocol')
    const serve = createAppRequestHandler(renderer)
    const page = await serve(new Request('app://cllm/index.html'))
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const { CONTENT_SECURITY_POLICY } = await import('../../../src/main/security')
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY)
    expect(await page.text()).toContain('<title>CLLM</title>')
    expect((await serve(new Request('app://cllm/assets/app.js'))).headers.get('content-type')).toMatch(/^text\/javascript/)
    expect((await serve(new Request('app://cllm/../secret.txt'))).status).toBe(404)
    expect((await serve(new Request('app://cllm/%2e%2e/secret.txt'))).status).toBe(404)
    expect((await serve(new Request('app://cllm/missing.js'))).status).toBe(404)
    expect((await serve(new Request('app://cllm/index.html', { method: 'POST', body: 'x' }))).status).toBe(405)
    expect(handler).toBeTypeOf('function')
  })

  it('loads the dev server when electron-vite provides one', async () => {
    const fake = await launch(() => (process.env.ELECTRON_RENDERER_URL = 'http://localhost:5173/'))
    const window = await ready(fake)
    expect(window.loaded).toEqual({ url: 'http://localhost:5173/' })
  })

  it('serves the engine to its window, with the sample corpus readable and nothing else', async () => {
    const fake = await launch()
    const window = await ready(fake)
    const info = await callFrom(fake, window, 'app.info', {})
    const sampleCorpus = join(repo, 'resources', 'sample-corpus')
    expect(info).toMatchObject({
      ok: true,
      value: { sampleCorpus, transport: 'ipc', canPickFolder: true, version: '9.9.9-test' },
    })
    const scan = await callFrom(fake, window, 'corpus.scan', { folder: sampleCorpus })
    expect(scan).toMatchObject({ ok: true, value: { totals: { files: 1 } } })
    expect(await callFrom(fake, window, 'corpus.scan', { folder: picked })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    })
  })

  it('File → Open Folder… shows the dialog, tells the window, and makes that folder readable', async () => {
    const fake = await launch()
    const window = await ready(fake)
    fake.dialogAnswers.push({ canceled: false, filePaths: [picked] })
    const menu = fake.Menu.current as {
      template: Array<{ label?: string; submenu: Array<{ id?: string; click?: () => void }> }>
    }
    const openFolder = menu.template
      .find((item) => item.label === 'File')!
      .submenu.find((item) => item.id === 'open-folder')!
    openFolder.click!()
    await vi.waitFor(() => expect(window.webContents.sent).toHaveLength(1))
    expect(window.webContents.sent[0]).toEqual({
      channel: 'cllm:event',
      args: [{ event: 'app.folderPicked', payload: { folder: picked } }],
    })
    expect(fake.dialog.showOpenDialog.mock.calls[0][0]).toBe(window)
    expect(await callFrom(fake, window, 'corpus.scan', { folder: picked })).toMatchObject({
      ok: true,
      value: { totals: { files: 1 } },
    })
  })

  it('the dialog behind corpus.pickFolder also grants access, and a cancel grants nothing', async () => {
    const fake = await launch()
    const window = await ready(fake)
    fake.dialogAnswers.push({ canceled: true, filePaths: [] })
    expect(await callFrom(fake, window, 'corpus.pickFolder', {})).toEqual({
      ok: true,
      value: { folder: null },
    })
    expect(await callFrom(fake, window, 'corpus.scan', { folder: picked })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    })
    fake.dialogAnswers.push({ canceled: false, filePaths: [picked] })
    expect(await callFrom(fake, window, 'corpus.pickFolder', {})).toEqual({
      ok: true,
      value: { folder: picked },
    })
    expect(await callFrom(fake, window, 'corpus.scan', { folder: picked })).toMatchObject({
      ok: true,
    })
  })

  it('quits when the last window closes (not on macOS), and reopens a window on activate', async () => {
    const fake = await launch()
    const first = await ready(fake)
    first.close()
    fake.app.emit('window-all-closed')
    expect(fake.app.quitCalls).toBe(1)
    // A call from the closed window is refused: it is no longer ours.
    expect(await callFrom(fake, first, 'app.info', {})).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    })

    fake.app.emit('activate')
    expect(fake.BrowserWindow.getAllWindows()).toHaveLength(1)
    const second = fake.BrowserWindow.getAllWindows()[0]
    second.webContents.mainFrame.url = first.webContents.mainFrame.url
    expect(await callFrom(fake, second, 'app.info', {})).toMatchObject({ ok: true })
    fake.app.emit('activate')
    expect(fake.BrowserWindow.getAllWindows()).toHaveLength(1)
  })

  it('keeps runs in Documents/CLLM Studio/checkpoints, and frees the engine before quitting', async () => {
    const fake = await launch()
    const window = await ready(fake)
    const info = await callFrom(fake, window, 'app.info', {})
    expect(info).toMatchObject({
      ok: true,
      value: { checkpointDir: '/fake-home/documents/CLLM Studio/checkpoints' },
    })

    let prevented = 0
    fake.app.emit('before-quit', { preventDefault: () => prevented++ })
    expect(prevented).toBe(1)
    await vi.waitFor(() => expect(fake.app.quitCalls).toBe(1))
    // The second quit (after shutdown) goes through.
    fake.app.emit('before-quit', { preventDefault: () => prevented++ })
    expect(prevented).toBe(1)
  })

  it('stays running on macOS when the last window closes', async () => {
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!
    Object.defineProperty(process, 'platform', { value: 'darwin' })
    try {
      const fake = await launch()
      ;(await ready(fake)).close()
      fake.app.emit('window-all-closed')
      expect(fake.app.quitCalls).toBe(0)
    } finally {
      Object.defineProperty(process, 'platform', platform)
    }
  })

  it('a second launch brings the existing window back', async () => {
    const fake = await launch()
    const window = await ready(fake)
    window.minimized = true
    fake.app.emit('second-instance')
    expect(window.minimized).toBe(false)
    expect(window.focused).toBe(true)
  })

  it('reports a start-up failure in a message box and exits non-zero', async () => {
    const fake = await launch((f) => {
      f.app.getAppPath = () => {
        throw new Error('no app path')
      }
    })
    fake.app.becomeReady()
    await vi.waitFor(() => expect(fake.app.exitCodes).toEqual([1]))
    expect(fake.dialog.showErrorBox).toHaveBeenCalledWith(
      'CLLM Studio could not start',
      'no app path',
    )
    expect(fake.BrowserWindow.instances).toHaveLength(0)
  })

  it('follows the system’s light or dark theme', async () => {
    const fake = await launch()
    await ready(fake)
    expect(fake.nativeTheme.themeSource).toBe('system')
  })

  it('a run that does not stop within the grace period does not keep the app alive', async () => {
    vi.doMock('../../../src/main/engine/api/engine-api', async (importOriginal) => {
      const original = await importOriginal<typeof import('../../../src/main/engine/api/engine-api')>()
      return {
        ...original,
        createEngineApi: (options: Parameters<typeof original.createEngineApi>[0]) => ({
          ...original.createEngineApi(options),
          shutdown: () => new Promise<void>(() => {}),
        }),
      }
    })
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const fake = await launch()
      await ready(fake)
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
      fake.app.emit('before-quit', { preventDefault: () => {} })
      const { QUIT_GRACE_MS } = await import('../../../src/main/shutdown')
      await vi.advanceTimersByTimeAsync(QUIT_GRACE_MS - 100)
      expect(fake.app.exitCodes).toEqual([])
      await vi.advanceTimersByTimeAsync(200)
      expect(fake.app.exitCodes).toEqual([0])
      expect(error).toHaveBeenCalledWith(expect.stringMatching(/did not stop within 5 s/))
    } finally {
      vi.useRealTimers()
      vi.doUnmock('../../../src/main/engine/api/engine-api')
      error.mockRestore()
    }
  })

  it('remembers an opened folder: Open Recent lists it, and the next launch opens it again, readable', async () => {
    const first = await launch()
    const window = await ready(first)
    first.dialogAnswers.push({ canceled: false, filePaths: [picked] })
    expect(await callFrom(first, window, 'corpus.pickFolder', {})).toMatchObject({ ok: true, value: { folder: picked } })
    expect(first.app.recentDocuments).toEqual([picked])
    const fileMenu = () =>
      (first.Menu.current as { template: Array<{ label?: string; submenu: Array<{ id?: string; label?: string; submenu?: unknown }> }> }).template
        .find((item) => item.label === 'File')!.submenu
    const recent = fileMenu().find((item) => item.id === 'open-recent')!.submenu as Array<{ label?: string }>
    expect(recent[0].label).toBe(picked)
    const profile = first.app.userData

    // Next launch, same profile: the folder is readable without the dialog, and app.info says so.
    const second = await launch((fake) => (fake.app.userData = profile))
    const again = await ready(second)
    expect(await callFrom(second, again, 'app.info', {})).toMatchObject({ ok: true, value: { lastFolder: picked } })
    expect(await callFrom(second, again, 'corpus.scan', { folder: picked })).toMatchObject({ ok: true })
  })

  it('Open Recent opens the folder as the dialog would: readable, and told to the window', async () => {
    const first = await launch()
    const window = await ready(first)
    const later = join(repo, 'later')
    await mkdir(later, { recursive: true })
    first.dialogAnswers.push({ canceled: false, filePaths: [picked] }, { canceled: false, filePaths: [later] })
    await callFrom(first, window, 'corpus.pickFolder', {})
    await callFrom(first, window, 'corpus.pickFolder', {})
    const profile = first.app.userData
    const second = await launch((fake) => (fake.app.userData = profile))
    const page = await ready(second)
    // Only the last folder is reopened; an older recent one is readable once chosen again.
    expect(await callFrom(second, page, 'corpus.scan', { folder: picked })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    const menu = second.Menu.current as { template: Array<{ label?: string; submenu: Array<{ id?: string; submenu?: unknown }> }> }
    const recent = menu.template.find((item) => item.label === 'File')!.submenu.find((item) => item.id === 'open-recent')!
      .submenu as Array<{ label?: string; click?: () => void }>
    recent.find((item) => item.label === picked)!.click!()
    expect(page.webContents.sent).toContainEqual({ channel: 'cllm:event', args: [{ event: 'app.folderPicked', payload: { folder: picked } }] })
    expect(await callFrom(second, page, 'corpus.scan', { folder: picked })).toMatchObject({ ok: true })
  })

  it('a folder dropped on the window opens like a picked one; drops from elsewhere, of files or relative paths, do nothing', async () => {
    const fake = await launch()
    const window = await ready(fake)
    const fromWindow = { sender: window.webContents, senderFrame: window.webContents.mainFrame }
    const other = new fake.FakeWebContents(window.webContents.mainFrame.url)
    fake.ipcMain.send('cllm:dropped', { sender: other, senderFrame: other.mainFrame }, picked)
    fake.ipcMain.send('cllm:dropped', fromWindow, join(picked, 'notes.txt'))
    fake.ipcMain.send('cllm:dropped', fromWindow, 'picked')
    fake.ipcMain.send('cllm:dropped', fromWindow, { path: picked })
    expect(window.webContents.sent).toEqual([])
    expect(await callFrom(fake, window, 'corpus.scan', { folder: picked })).toMatchObject({ ok: false, error: { code: 'forbidden' } })

    fake.ipcMain.send('cllm:dropped', fromWindow, picked)
    expect(window.webContents.sent).toEqual([{ channel: 'cllm:event', args: [{ event: 'app.folderPicked', payload: { folder: picked } }] }])
    expect(fake.app.recentDocuments).toEqual([picked])
    expect(await callFrom(fake, window, 'corpus.scan', { folder: picked })).toMatchObject({ ok: true })
  })

  it('menu shortcuts reach the window as commands', async () => {
    const fake = await launch()
    const window = await ready(fake)
    const menu = fake.Menu.current as { template: Array<{ label?: string; submenu: Array<{ id?: string; click?: () => void }> }> }
    menu.template.find((item) => item.label === 'Run')!.submenu.find((item) => item.id === 'run-pause')!.click!()
    menu.template.find((item) => item.label === 'View')!.submenu.find((item) => item.id === 'view-generate')!.click!()
    expect(window.webContents.sent.map((message) => message.args[0])).toEqual([
      { event: 'app.command', payload: { command: 'pause' } },
      { event: 'app.command', payload: { command: 'show', view: 'generate' } },
    ])
  })
})
