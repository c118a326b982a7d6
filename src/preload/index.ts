/**
 * The preload: exposes the contract as `window.cllm` and nothing else. The renderer never sees
 * `ipcRenderer`; it can only call the contract's methods and listen to its events. A folder dropped
 * on the window is passed to main from here (folder-drop.ts).
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { IPC_DROP_CHANNEL } from '../shared/ipc-channels'
import { createCllmApi } from './cllm-api'
import { forwardDroppedFolders, type DropTarget } from './folder-drop'

contextBridge.exposeInMainWorld('cllm', createCllmApi(ipcRenderer))
forwardDroppedFolders(
  globalThis as unknown as DropTarget,
  (file) => webUtils.getPathForFile(file as Parameters<typeof webUtils.getPathForFile>[0]),
  (path) => ipcRenderer.send(IPC_DROP_CHANNEL, path),
)
