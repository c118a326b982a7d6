/**
 * Binds the contract to Electron IPC: one invoke channel for every method (the dispatcher checks
 * the method name and validates the input with the contract's schema) and one event channel.
 * Every call's sender is checked first; nothing but a typed Result ever crosses back.
 */
import type { BrowserWindow, IpcMainInvokeEvent, WebContents } from 'electron'
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../shared/ipc-channels'
import type { Result } from '../shared/errors'
import type { Dispatch } from './engine/api/dispatcher'
import { toApiError } from './engine/api/dispatcher'
import type { EventHub } from './engine/api/event-hub'
import { isRendererUrl, type RendererLocation } from './app-paths'

/** The part of `ipcMain` used here, so tests can pass a fake. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void
  removeHandler(channel: string): void
}

export type SenderCheck = (event: IpcMainInvokeEvent) => boolean

/** Returns a function that removes the handler. */
export function bindIpc(ipcMain: IpcMainLike, dispatch: Dispatch, isTrustedSender: SenderCheck): () => void {
  ipcMain.handle(IPC_CALL_CHANNEL, async (event, method, input): Promise<Result<unknown>> => {
    try {
      if (!isTrustedSender(event)) {
        return { ok: false, error: { code: 'forbidden', message: 'This call did not come from the CLLM Studio window.' } }
      }
      return await dispatch(method, input, { transport: 'ipc' })
    } catch (error) {
      // The dispatcher already turns handler errors into Results; this guards the sender check itself.
      return { ok: false, error: toApiError(error) }
    }
  })
  return () => ipcMain.removeHandler(IPC_CALL_CHANNEL)
}

/** Our window's main frame, showing our renderer page: anything else (a subframe, a page it navigated to) is refused. */
export function createSenderCheck(getWindow: () => BrowserWindow | undefined, renderer: RendererLocation): SenderCheck {
  return (event) => {
    const window = getWindow()
    if (!window || window.isDestroyed()) return false
    const contents = window.webContents
    const frame = event.senderFrame
    if (event.sender !== contents || !frame) return false
    // A top frame has no parent; comparing wrappers by identity is not reliable across calls.
    if (frame.parent !== null) return false
    return isRendererUrl(frame.url, renderer)
  }
}

/** Sends every engine event to the window, while it is open. Returns the unsubscribe function. */
export function forwardEvents(events: EventHub, getTarget: () => WebContents | undefined): () => void {
  return events.subscribe((message) => {
    const target = getTarget()
    if (target && !target.isDestroyed()) target.send(IPC_EVENT_CHANNEL, message)
  })
}
