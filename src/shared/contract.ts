/**
 * The one API between the UI and the engine: every method (request → response) and every event
 * (engine → UI), each with a runtime schema. Types are inferred from the schemas, so a payload is
 * validated and typed from the same source. Every transport (Electron IPC, WebSocket, the engine
 * host's MessagePort) carries exactly this contract through one dispatcher.
 */
import { z } from 'zod'
import { ScanProgress, ScanSummary } from './corpus'
import type { ApiError, Result } from './errors'

const Empty = z.object({}).strict()

export const AppInfo = z.object({
  version: z.string(),
  /** Absolute path of the bundled sample corpus, the folder the app opens with. */
  sampleCorpus: z.string(),
  /** Electron can show a native folder dialog; the browser build asks for a typed path instead. */
  canPickFolder: z.boolean(),
  transport: z.enum(['ipc', 'websocket']),
  cores: z.number().int().positive(),
})
export type AppInfo = z.infer<typeof AppInfo>

export const ScanRequest = z.object({
  folder: z.string().min(1, 'Choose a folder first.'),
  maxFileBytes: z.number().int().positive().optional(),
  /** Chosen by the caller so it can match progress events and cancel before the scan returns. */
  scanId: z.string().min(1).max(100).optional(),
})

export const methods = {
  'app.info': { input: Empty, output: AppInfo },
  /** Native folder dialog. Returns null when the user cancels or the transport has no dialog. */
  'corpus.pickFolder': { input: Empty, output: z.object({ folder: z.string().nullable() }) },
  'corpus.scan': {
    input: ScanRequest,
    output: ScanSummary.extend({ scanId: z.string() }),
  },
  'corpus.cancelScan': {
    input: z.object({ scanId: z.string() }),
    output: z.object({ cancelled: z.boolean() }),
  },
} as const

export const events = {
  'corpus.progress': ScanProgress,
  /** The user chose a folder outside the UI (File → Open Folder… in Electron's menu). */
  'app.folderPicked': z.object({ folder: z.string() }),
} as const

export type Methods = typeof methods
export type MethodName = keyof Methods
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>
export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<E extends EventName> = z.output<Events[E]>

export const methodNames = Object.keys(methods) as MethodName[]
export const eventNames = Object.keys(events) as EventName[]

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(methods, name)
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name)
}

/** An event as it travels: its name and its payload. */
export type EngineEvent = { [E in EventName]: { event: E; payload: EventPayload<E> } }[EventName]

/** What `window.cllm` exposes (preload), and what the WebSocket client implements the same way. */
export interface CllmApi {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<Result<MethodOutput<M>>>
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
}

export type { ApiError, Result }
