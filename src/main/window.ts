/** The one application window: sandboxed, isolated, fenced to our renderer page. */
import { BrowserWindow, type WebPreferences } from 'electron'
import type { RendererLocation } from './app-paths'
import { guardWebContents } from './security'

export interface MainWindowOptions {
  preloadPath: string
  renderer: RendererLocation
  title?: string
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
  const window = new BrowserWindow({
    width: 1280,
    height: 840,
    minWidth: 800,
    minHeight: 560,
    title: options.title ?? 'CLLM Studio',
    // Shown once the first frame is painted, so the user never sees an empty white window.
    show: false,
    autoHideMenuBar: false,
    webPreferences: safeWebPreferences(options.preloadPath),
  })
  guardWebContents(window.webContents, options.renderer)
  window.once('ready-to-show', () => window.show())
  // A failed load must not leave an invisible window behind.
  const loaded = window.loadURL(options.renderer.url)
  loaded.catch((error: unknown) => {
    console.error(`Could not load the interface: ${error instanceof Error ? error.message : String(error)}`)
    if (!window.isDestroyed()) window.show()
  })
  return window
}
