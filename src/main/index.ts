/**
 * Electron main process: app lifecycle and wiring. The engine sits behind the same dispatcher as
 * every other transport; this file only connects it to the window, the dialogs, the menu and the
 * desktop conventions (desktop.ts).
 */
import { statSync } from 'node:fs'
import { dirname, isAbsolute, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, BrowserWindow, ipcMain, nativeTheme, session, shell } from 'electron'
import type { AppCommand } from '../shared/contract'
import { IPC_DROP_CHANNEL } from '../shared/ipc-channels'
import { createEngineApi, type EngineApi } from './engine/api/engine-api'
import { preloadPath, rendererLocation, sampleCorpusPath } from './app-paths'
import { registerAppScheme, serveAppScheme } from './app-protocol'
import { followRuns } from './desktop'
import { createFolderPicker, showStartupError } from './dialogs'
import { bindIpc, createSenderCheck, forwardEvents } from './ipc'
import { installMenu } from './menu'
import { ReadAccess } from './read-access'
import { installSessionSecurity } from './security'
import { SettingsStore } from './settings-store'
import { QUIT_GRACE_MS, settleWithin } from './shutdown'
import { createMainWindow } from './window'

const mainDir = dirname(fileURLToPath(import.meta.url))
const APP_NAME = 'CLLM Studio'

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

// One app instance: a second launch focuses the window that is already open.
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  let window: BrowserWindow | undefined
  let engine: EngineApi | undefined
  let shutdownEngine: (() => Promise<void>) | undefined
  /** A folder the user opened from the OS (macOS dock recents) before the app was ready. */
  let pendingFolder: string | undefined
  let openChosenFolder: ((folder: string) => void) | undefined
  const renderer = rendererLocation({
    mainDir,
    isPackaged: app.isPackaged,
    devServerUrl: process.env.ELECTRON_RENDERER_URL,
  })
  registerAppScheme()

  const openWindow = (settings: SettingsStore): void => {
    const created = createMainWindow({
      preloadPath: preloadPath(mainDir),
      renderer,
      title: APP_NAME,
      bounds: settings.get().window,
      onClose: (bounds) => settings.rememberWindow(bounds),
    })
    created.on('closed', () => {
      if (window === created) window = undefined
    })
    window = created
  }
  const bringBack = (): void => {
    if (!window) return
    if (window.isMinimized()) window.restore()
    window.show()
    window.focus()
  }

  const start = (): void => {
    // Light or dark follows the system; the page follows it through prefers-color-scheme.
    nativeTheme.themeSource = 'system'
    const settings = new SettingsStore(join(app.getPath('userData'), 'settings.json'))
    const sampleCorpus = sampleCorpusPath({
      isPackaged: app.isPackaged,
      resourcesPath: process.resourcesPath,
      appPath: app.getAppPath(),
    })
    const access = new ReadAccess([sampleCorpus])
    // The folder open when the app was last closed was chosen by the user then: readable again now.
    const lastFolder = settings.get().lastFolder
    const reopened = lastFolder !== undefined && isDirectory(lastFolder) ? lastFolder : undefined
    if (reopened) access.allow(reopened)

    const command = (message: AppCommand): void => engine?.events.emit('app.command', message)
    const refreshMenu = (): void =>
      installMenu({
        appName: APP_NAME,
        platform: process.platform,
        isDev: !app.isPackaged,
        openFolder: () => {
          void pickFolder().then((folder) => {
            if (folder) engine?.events.emit('app.folderPicked', { folder })
          })
        },
        recentFolders: settings.get().recentFolders,
        openRecent: (folder) => openChosenFolder?.(folder),
        clearRecent: () => {
          settings.clearRecentFolders()
          app.clearRecentDocuments()
          refreshMenu()
        },
        command,
      })
    /** Every folder the user chose in the app's own UI: remembered, and listed under Open Recent. */
    const remember = (folder: string): void => {
      settings.rememberFolder(folder)
      app.addRecentDocument(folder)
      refreshMenu()
    }
    const picker = createFolderPicker(() => window, access)
    const pickFolder = async (): Promise<string | null> => {
      const folder = await picker()
      if (folder) remember(folder)
      return folder
    }
    // Open Recent, the dock's recent items and a dropped folder: chosen by the user outside the
    // page, like the dialog, so they get the dialog's rule: that folder becomes readable.
    openChosenFolder = (folder) => {
      if (!isAbsolute(folder) || !isDirectory(folder)) return
      access.allow(folder)
      remember(folder)
      engine?.events.emit('app.folderPicked', { folder })
      bringBack()
    }

    engine = createEngineApi({
      transport: 'ipc',
      version: app.getVersion(),
      sampleCorpus,
      checkpointDir: join(app.getPath('documents'), APP_NAME, 'checkpoints'),
      pickFolder,
      mayRead: (folder) => access.mayRead(folder),
      trash: (path) => shell.trashItem(path),
      reveal: (path) => shell.showItemInFolder(path),
      lastFolder: () => reopened,
    })
    shutdownEngine = engine.shutdown

    installSessionSecurity(session.defaultSession)
    if (renderer.kind === 'app') serveAppScheme(renderer.root)
    const isOurWindow = createSenderCheck(() => window, renderer)
    bindIpc(ipcMain, engine.dispatch, isOurWindow)
    ipcMain.on(IPC_DROP_CHANNEL, (event, path: unknown) => {
      if (isOurWindow(event as never) && typeof path === 'string') openChosenFolder?.(path)
    })
    forwardEvents(engine.events, () => window?.webContents)
    followRuns({
      events: engine.events,
      getWindow: () => window,
      appName: APP_NAME,
      openRun: (runId, runDir) => {
        bringBack()
        command({ command: 'open-run', runId, ...(runDir ? { runDir } : {}) })
      },
    })
    app.setAboutPanelOptions({ applicationName: APP_NAME, applicationVersion: app.getVersion() })
    refreshMenu()
    openWindow(settings)
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) openWindow(settings)
    })
    if (pendingFolder) openChosenFolder(pendingFolder)
    pendingFolder = undefined
  }

  app.on('second-instance', () => bringBack())
  // macOS: a folder chosen from the dock's recent items (app.addRecentDocument fills that list).
  app.on('open-file', (event, path) => {
    event.preventDefault()
    if (openChosenFolder) openChosenFolder(path)
    else pendingFolder = path
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  // A run in progress stops with a checkpoint before the app exits, within QUIT_GRACE_MS; a run
  // that does not stop by then is abandoned (its last periodic checkpoint stays), and the app exits.
  app.on('before-quit', (event) => {
    const shutdown = shutdownEngine
    if (!shutdown) return
    shutdownEngine = undefined
    event.preventDefault()
    void settleWithin(shutdown(), QUIT_GRACE_MS).then((settled) => {
      if (settled) {
        app.quit()
      } else {
        console.error(`The run did not stop within ${QUIT_GRACE_MS / 1000} s; quitting without its final checkpoint.`)
        app.exit(0)
      }
    })
  })
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      showStartupError(error)
      app.exit(1)
    })
}
