/**
 * The engine behind the contract: one set of handlers shared by every transport. A transport
 * (Electron IPC, WebSocket, tests) creates one EngineApi, forwards calls to `dispatch` and events
 * from `events` to its clients. Platform abilities (a native folder dialog, which folders may be
 * read) are passed in, so this module never depends on Electron.
 */
import { cpus } from 'node:os'
import { randomUUID } from 'node:crypto'
import { resolve } from 'node:path'
import { loadCorpus, type LoadedCorpus } from '../corpus'
import { UserError } from '../../../shared/errors'
import { createDispatcher, type Dispatch } from './dispatcher'
import { EventHub } from './event-hub'

export interface EngineApiOptions {
  transport: 'ipc' | 'websocket'
  version: string
  sampleCorpus: string
  /** Shows a native folder dialog; absent where the transport has none (browser mode). */
  pickFolder?: () => Promise<string | null>
  /** Whether a folder named by the UI may be read. Electron allows dialog picks; `serve` a root. */
  mayRead: (folder: string) => boolean
}

export interface EngineApi {
  dispatch: Dispatch
  events: EventHub
  /** The corpus of the last finished scan: read once, reused by the later steps of a run. */
  lastCorpus(): LoadedCorpus | undefined
}

export function createEngineApi(options: EngineApiOptions): EngineApi {
  const events = new EventHub()
  const scans = new Map<string, AbortController>()
  let corpus: LoadedCorpus | undefined

  const dispatch = createDispatcher({
    'app.info': async () => ({
      version: options.version,
      sampleCorpus: options.sampleCorpus,
      canPickFolder: options.pickFolder !== undefined,
      transport: options.transport,
      cores: cpus().length,
    }),

    'corpus.pickFolder': async () => ({ folder: options.pickFolder ? await options.pickFolder() : null }),

    'corpus.scan': async ({ folder, maxFileBytes, scanId = randomUUID() }) => {
      const absolute = resolve(folder)
      if (!options.mayRead(absolute)) {
        throw new UserError(
          'forbidden',
          `This app may not read ${absolute}. Choose the folder with the folder picker.`,
        )
      }
      const controller = new AbortController()
      scans.set(scanId, controller)
      try {
        const loaded = await loadCorpus(
          { folder: absolute, ...(maxFileBytes ? { maxFileBytes } : {}) },
          {
            signal: controller.signal,
            onProgress: (progress) => events.emit('corpus.progress', { scanId, ...progress }),
          },
        )
        corpus = loaded
        return { scanId, ...loaded.summary }
      } finally {
        scans.delete(scanId)
      }
    },

    'corpus.cancelScan': async ({ scanId }) => {
      const controller = scans.get(scanId)
      controller?.abort()
      return { cancelled: controller !== undefined }
    },
  })

  return { dispatch, events, lastCorpus: () => corpus }
}
