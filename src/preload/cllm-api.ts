/** `window.cllm` over Electron IPC, built on the few ipcRenderer calls it needs (tests pass a fake). */
import type { IpcRendererEvent } from 'electron'
import { isEventName, isMethodName, type CllmApi, type EngineEvent } from '../shared/contract'
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../shared/ipc-channels'

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
  on(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): unknown
  removeListener(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): unknown
}

type Listener = (payload: unknown) => void

export function createCllmApi(ipc: IpcRendererLike): CllmApi {
  const listeners = new Map<string, Set<Listener>>()
  // One IPC listener for all subscriptions, attached while anyone listens.
  const onMessage = (_event: IpcRendererEvent, message: unknown): void => {
    const { event, payload } = (message ?? {}) as Partial<EngineEvent>
    for (const listener of listeners.get(String(event)) ?? []) listener(payload)
  }

  const api: CllmApi = {
    // Unknown names are refused here, before IPC; main refuses them again (never trust the caller).
    call: ((method: unknown, input: unknown): Promise<unknown> => {
      if (!isMethodName(method)) {
        return Promise.resolve({ ok: false, error: { code: 'unknown-method', message: `Unknown method: ${String(method)}` } })
      }
      return ipc.invoke(IPC_CALL_CHANNEL, method, input)
    }) as CllmApi['call'],
    on(event, listener) {
      if (!isEventName(event)) throw new Error(`Unknown event: ${String(event)}`)
      if (typeof listener !== 'function') throw new Error(`The listener for ${event} must be a function.`)
      if (listeners.size === 0) ipc.on(IPC_EVENT_CHANNEL, onMessage)
      const set = listeners.get(event) ?? new Set<Listener>()
      listeners.set(event, set)
      // Wrapped, so subscribing the same function twice gives two independent subscriptions.
      const entry: Listener = (payload) => (listener as Listener)(payload)
      set.add(entry)
      let subscribed = true
      return () => {
        if (!subscribed) return
        subscribed = false
        set.delete(entry)
        if (set.size === 0) listeners.delete(event)
        if (listeners.size === 0) ipc.removeListener(IPC_EVENT_CHANNEL, onMessage)
      }
    },
  }
  return api
}
