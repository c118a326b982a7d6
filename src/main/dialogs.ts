/** Native dialogs. A folder picked here becomes readable by the engine (ReadAccess). */
import { dialog, type BrowserWindow, type OpenDialogOptions } from 'electron'
import type { ReadAccess } from './read-access'

export type FolderPicker = () => Promise<string | null>

export function createFolderPicker(getWindow: () => BrowserWindow | undefined, access: ReadAccess): FolderPicker {
  return async () => {
    const options: OpenDialogOptions = { title: 'Choose a folder of text', properties: ['openDirectory'] }
    const window = getWindow()
    const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options)
    const folder = result.canceled ? undefined : result.filePaths[0]
    if (!folder) return null
    access.allow(folder)
    return folder
  }
}

/** Last resort when start-up fails: a readable message instead of a silent exit or a stack. */
export function showStartupError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error)
  dialog.showErrorBox('CLLM Studio could not start', message)
}
