import { describe, expect, it, vi } from 'vitest'

vi.mock('electron', () => import('./fake-electron'))

const fake = await import('./fake-electron')
const { createMainWindow } = await import('../../../src/main/window')

const preloadPath = '/app/out/preload/index.cjs'
const file = { kind: 'app' as const, root: '/app/out/renderer', url: 'app://cllm/index.html' }

describe('main window', () => {
  it('runs the renderer sandboxed and isolated, with only our preload', () => {
    const window = createMainWindow({ preloadPath, renderer: file }) as unknown as InstanceType<typeof fake.BrowserWindow>
    const prefs = window.options.webPreferences as Record<string, unknown>
    expect(prefs).toMatchObject({
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    })
  })

  it('loads the built page and shows the window only when it is ready to show', () => {
    const window = createMainWindow({ preloadPath, renderer: file }) as unknown as InstanceType<typeof fake.BrowserWindow>
    expect(window.options.show).toBe(false)
    expect(window.loaded).toEqual({ url: 'app://cllm/index.html' })
    expect(window.visible).toBe(false)
    window.emit('ready-to-show')
    expect(window.visible).toBe(true)
  })

  it('loads the dev server URL while developing', () => {
    const renderer = { kind: 'url' as const, url: 'http://localhost:5173/' }
    const window = createMainWindow({ preloadPath, renderer }) as unknown as InstanceType<typeof fake.BrowserWindow>
    expect(window.loaded).toEqual({ url: renderer.url })
  })

  it('fences its contents: navigation and new windows are blocked', () => {
    const window = createMainWindow({ preloadPath, renderer: file }) as unknown as InstanceType<typeof fake.BrowserWindow>
    const navigation = fake.fakeEvent({ url: 'https://example.com/' })
    window.webContents.emit('will-navigate', navigation)
    expect(navigation.defaultPrevented).toBe(true)
    expect(window.webContents.windowOpenHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' })
  })

  it('still shows the window when the page fails to load, so the user is not left with nothing', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const load = vi.spyOn(fake.BrowserWindow.prototype, 'loadURL').mockRejectedValueOnce(new Error('ERR_FILE_NOT_FOUND'))
    const window = createMainWindow({ preloadPath, renderer: file }) as unknown as InstanceType<typeof fake.BrowserWindow>
    await vi.waitFor(() => expect(window.visible).toBe(true))
    expect(error).toHaveBeenCalledWith(expect.stringContaining('ERR_FILE_NOT_FOUND'))
    load.mockRestore()
    error.mockRestore()
  })
})
