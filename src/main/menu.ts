/** The application menu. The template is built by a pure function so it can be checked in tests. */
import { Menu, type MenuItemConstructorOptions } from 'electron'
import type { AppCommand } from '../shared/contract'
import { SHORTCUTS } from '../shared/shortcuts'

export interface MenuOptions {
  appName: string
  platform: NodeJS.Platform
  /** Reload and developer tools only while developing. */
  isDev: boolean
  /** File → Open Folder…: shows the folder dialog and tells the renderer what was chosen. */
  openFolder: () => void
  /** File → Open Recent: newest first. */
  recentFolders?: readonly string[]
  openRecent?: (folder: string) => void
  clearRecent?: () => void
  /** Run and View items: sent to the window, which acts as if its own button was pressed. */
  command?: (command: AppCommand) => void
}


export function buildMenuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const isMac = options.platform === 'darwin'
  const template: MenuItemConstructorOptions[] = []
  if (isMac) {
    template.push({
      label: options.appName,
      submenu: [
        { role: 'about' },
        { type: 'separator' },
        { role: 'services' },
        { type: 'separator' },
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        { type: 'separator' },
        { role: 'quit' },
      ],
    })
  }
  template.push({
    label: 'File',
    submenu: [
      { id: 'open-folder', label: 'Open Folder…', accelerator: 'CmdOrCtrl+O', click: () => options.openFolder() },
      {
        id: 'open-recent',
        label: 'Open Recent',
        submenu: [
          ...(options.recentFolders ?? []).map(
            (folder): MenuItemConstructorOptions => ({ label: folder, click: () => options.openRecent?.(folder) }),
          ),
          ...((options.recentFolders ?? []).length > 0 ? [{ type: 'separator' } as const] : []),
          {
            id: 'clear-recent',
            label: 'Clear Menu',
            enabled: (options.recentFolders ?? []).length > 0,
            click: () => options.clearRecent?.(),
          },
        ],
      },
      { type: 'separator' },
      isMac ? { role: 'close' } : { role: 'quit' },
    ],
  })
  template.push({
    label: 'Edit',
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      { type: 'separator' },
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
    ],
  })
  const send = (command: AppCommand) => () => options.command?.(command)
  template.push({
    label: 'Run',
    submenu: [
      { id: 'run-train', label: 'Train', accelerator: SHORTCUTS.train, click: send({ command: 'train' }) },
      { id: 'run-pause', label: 'Pause or Continue', accelerator: SHORTCUTS.pause, click: send({ command: 'pause' }) },
      { id: 'run-stop', label: 'Stop', accelerator: SHORTCUTS.stop, click: send({ command: 'stop' }) },
    ],
  })
  template.push({
    label: 'View',
    submenu: [
      { id: 'view-data', label: 'Data', accelerator: SHORTCUTS.data, click: send({ command: 'show', view: 'data' }) },
      { id: 'view-train', label: 'Train', accelerator: SHORTCUTS.train_view, click: send({ command: 'show', view: 'train' }) },
      {
        id: 'view-checkpoints',
        label: 'Checkpoints',
        accelerator: SHORTCUTS.checkpoints,
        click: send({ command: 'show', view: 'checkpoints' }),
      },
      { id: 'view-generate', label: 'Generate', accelerator: SHORTCUTS.generate, click: send({ command: 'show', view: 'generate' }) },
      { type: 'separator' },
      ...(options.isDev
        ? ([{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as const)
        : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  })
  template.push({
    role: 'help',
    submenu: [{ role: 'about', label: `About ${options.appName}` }],
  })
  return template
}

export function installMenu(options: MenuOptions): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate(options)))
}
