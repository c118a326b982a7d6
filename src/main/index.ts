/**
 * Electron main process: app lifecycle and wiring. The engine sits behind the same dispatcher as
 * every other transport; this file only connects it to the window, the dialogs and the menu.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, BrowserWindow, ipcMain, session } from 'electron'
import { createEngineApi } from './engine/api/engine-api'
import { preloadPath, rendererLocation, sampleCorpusPath } from './app-paths'
import { registerAppScheme, serveAppScheme } from './app-protocol'
import { createFolderPicker, showStartupError } from './dialogs'
import { bindIpc, createSenderCheck, forwardEvents } from './ipc'
import { installMenu } from './menu'
import { ReadAccess } from './read-access'
import { installSessionSecurity } from './security'
import { createMainWindow } from './window'

const mainDir = dirname(fileURLToPath(import.meta.url))
const APP_NAME = 'CLLM Studio'

// One app instance: a second launch focuses the window that is already open.
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  let window: BrowserWindow | undefined
  let shutdownEngine: (() => Promise<void>) | undefined
  const renderer = rendererLocation({
    mainDir,
    isPackaged: app.isPackaged,
    devServerUrl: process.env.ELECTRON_RENDERER_URL,
  })
  registerAppScheme()

  const openWindow = (): void => {
    const created = createMainWindow({
      preloadPath: preloadPath(mainDir),
      renderer,
      title: APP_NAME,
    })
    created.on('closed', () => {
      if (window === created) window = undefined
    })
    window = created
  }

  const start = (): void => {
    const sampleCorpus = sampleCorpusPath({
      isPackaged: app.isPackaged,
      resourcesPath: process.resourcesPath,
      appPath: app.getAppPath(),
    })
    const access = new ReadAccess([sampleCorpus])
    const pickFolder = createFolderPicker(() => window, access)
    const engine = createEngineApi({
      transport: 'ipc',
      version: app.getVersion(),
      sampleCorpus,
      checkpointDir: join(app.getPath('documents'), APP_NAME, 'checkpoints'),
      pickFolder,
      mayRead: (folder) => access.mayRead(folder),
    })
    shutdownEngine = engine.shutdown

    installSessionSecurity(session.defaultSession)
    if (renderer.kind === 'app') serveAppScheme(renderer.root)
    bindIpc(
      ipcMain,
      engine.dispatch,
      createSenderCheck(() => window, renderer),
    )
    forwardEvents(engine.events, () => window?.webContents)
    app.setAboutPanelOptions({ applicationName: APP_NAME, applicationVersion: app.getVersion() })
    installMenu({
      appName: APP_NAME,
      platform: process.platform,
      isDev: !app.isPackaged,
      openFolder: () => {
        void pickFolder().then((folder) => {
          if (folder) engine.events.emit('app.folderPicked', { folder })
        })
      },
    })
    openWindow()
  }

  app.on('second-instance', () => {
    if (!window) return
    if (window.isMinimized()) window.restore()
    window.focus()
  })
  // macOS keeps the app running with no window; the dock icon opens a new one.
  app.on('activate', () => {
    if (app.isReady() && BrowserWindow.getAllWindows().length === 0) openWindow()
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  // A run in progress stops with a checkpoint before the app exits; then quit for real.
  app.on('before-quit', (event) => {
    const shutdown = shutdownEngine
    if (!shutdown) return
    shutdownEngine = undefined
    event.preventDefault()
    void shutdown().finally(() => app.quit())
  })
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      showStartupError(error)
      app.exit(1)
    })
}
