/** The one application window: sandboxed, isolated, fenced to our renderer page. */
import { BrowserWindow, nativeTheme, screen, type Rectangle, type WebPreferences } from 'electron'
import type { RendererLocation } from './app-paths'
import { guardWebContents } from './security'
import type { WindowBounds } from './settings-store'

export interface MainWindowOptions {
  preloadPath: string
  renderer: RendererLocation
  title?: string
  /** Where the window was when last closed (settings-store.ts); used when still on a display. */
  bounds?: WindowBounds
  /** Called as the window closes, with its normal (unmaximised) bounds. */
  onClose?: (bounds: WindowBounds) => void
}

const DEFAULT_SIZE = { width: 1280, height: 840 }
/** The theme's page background (styles/main.css --bg), so no white flash before the first paint. */
const BACKGROUND = { light: '#f5f6f8', dark: '#0f1115' }

/**
 * The saved bounds when at least a 100×100 corner of the title area lies on a display's work area
 * (a monitor may have been unplugged since); otherwise the saved size, centred by Electron.
 */
export function restorableBounds(saved: WindowBounds | undefined, workAreas: Rectangle[]): WindowBounds {
  if (!saved) return { ...DEFAULT_SIZE }
  const { x, y } = saved
  if (x === undefined || y === undefined) return { width: saved.width, height: saved.height, maximized: saved.maximized }
  const visible = workAreas.some(
    (area) =>
      Math.min(x + saved.width, area.x + area.width) - Math.max(x, area.x) >= 100 &&
      Math.min(y + 100, area.y + area.height) - Math.max(y, area.y) >= 50,
  )
  return visible ? saved : { width: saved.width, height: saved.height, maximized: saved.maximized }
}

/** The renderer gets only what the preload exposes (window.cllm): no Node, no Electron. */
export function safeWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    spellcheck: false,
  }
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const bounds = restorableBounds(options.bounds, screen.getAllDisplays().map((display) => display.workArea))
  const window = new BrowserWindow({
    x: bounds.x,
    y: bounds.y,
    width: bounds.width,
    height: bounds.height,
    backgroundColor: nativeTheme.shouldUseDarkColors ? BACKGROUND.dark : BACKGROUND.light,
    minWidth: 800,
    minHeight: 560,
    title: options.title ?? 'CLLM Studio',
    // Shown once the first frame is painted, so the user never sees an empty white window.
    show: false,
    autoHideMenuBar: false,
    webPreferences: safeWebPreferences(options.preloadPath),
  })
  guardWebContents(window.webContents, options.renderer)
  window.once('ready-to-show', () => {
    if (bounds.maximized) window.maximize()
    window.show()
  })
  window.on('close', () => {
    const normal = window.getNormalBounds()
    options.onClose?.({ ...normal, maximized: window.isMaximized() })
  })
  // A failed load must not leave an invisible window behind.
  const loaded = window.loadURL(options.renderer.url)
  loaded.catch((error: unknown) => {
    console.error(`Could not load the interface: ${error instanceof Error ? error.message : String(error)}`)
    if (!window.isDestroyed()) window.show()
  })
  return window
}
