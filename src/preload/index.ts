/**
 * The preload: exposes the contract as `window.cllm` and nothing else. The renderer never sees
 * `ipcRenderer`; it can only call the contract's methods and listen to its events.
 */
import { contextBridge, ipcRenderer } from 'electron'
import { createCllmApi } from './cllm-api'

contextBridge.exposeInMainWorld('cllm', createCllmApi(ipcRenderer))
