/** The keyboard shortcuts of the Run and View menus (Electron) and of the page's keys (browser build). */
export const SHORTCUTS = {
  train: 'CmdOrCtrl+Enter',
  pause: 'CmdOrCtrl+Shift+P',
  stop: 'CmdOrCtrl+.',
  data: 'CmdOrCtrl+1',
  train_view: 'CmdOrCtrl+2',
  checkpoints: 'CmdOrCtrl+3',
  generate: 'CmdOrCtrl+4',
} as const
