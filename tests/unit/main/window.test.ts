import { describe, expect, it, vi } from 'vitest'

vi.mock('electron', () => import('./fake-electron'))

const fake = await import('./fake-electron')
const { createMainWindow, restorableBounds } = await import('../../../src/main/window')

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

  it('opens where it was closed, maximised again if it was, and reports its bounds as it closes', () => {
    fake.resetFakeElectron()
    const onClose = vi.fn()
    const saved = { x: 40, y: 60, width: 1400, height: 900, maximized: true }
    const window = createMainWindow({ preloadPath, renderer: file, bounds: saved, onClose }) as unknown as InstanceType<typeof fake.BrowserWindow>
    expect(window.options).toMatchObject({ x: 40, y: 60, width: 1400, height: 900 })
    window.emit('ready-to-show')
    expect(window.maximized).toBe(true)
    window.bounds = { x: 50, y: 70, width: 1300, height: 800 }
    window.close()
    expect(onClose).toHaveBeenCalledWith({ x: 50, y: 70, width: 1300, height: 800, maximized: true })
  })

  it('paints the theme’s background before the page, dark when the system is dark', () => {
    fake.resetFakeElectron()
    expect(createMainWindow({ preloadPath, renderer: file }) as unknown as { options: object }).toMatchObject({ options: { backgroundColor: '#f5f6f8', width: 1280, height: 840 } })
    fake.nativeTheme.shouldUseDarkColors = true
    expect(createMainWindow({ preloadPath, renderer: file }) as unknown as { options: object }).toMatchObject({ options: { backgroundColor: '#0f1115' } })
  })
})

describe('restorableBounds', () => {
  const screen = [{ x: 0, y: 0, width: 1920, height: 1040 }]
  it('keeps bounds that are on a display, including a second monitor on the left', () => {
    const saved = { x: -1500, y: 100, width: 1200, height: 800 }
    expect(restorableBounds(saved, [...screen, { x: -1920, y: 0, width: 1920, height: 1040 }])).toEqual(saved)
    expect(restorableBounds({ x: 1800, y: 900, width: 1200, height: 800 }, screen)).toEqual({ x: 1800, y: 900, width: 1200, height: 800 })
  })

  it('keeps only the size when that monitor is gone or the title bar would be off screen', () => {
    expect(restorableBounds({ x: -1500, y: 100, width: 1200, height: 800, maximized: false }, screen)).toEqual({ width: 1200, height: 800, maximized: false })
    expect(restorableBounds({ x: 100, y: -700, width: 1200, height: 800 }, screen)).toEqual({ width: 1200, height: 800, maximized: undefined })
    expect(restorableBounds({ x: 1900, y: 100, width: 1200, height: 800 }, screen)).toEqual({ width: 1200, height: 800, maximized: undefined })
  })

  it('uses the default size the first time', () => {
    expect(restorableBounds(undefined, screen)).toEqual({ width: 1280, height: 840 })
  })
})
