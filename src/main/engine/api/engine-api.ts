/**
 * The engine behind the contract: one set of handlers shared by every transport. A transport
 * (Electron IPC, WebSocket, tests) creates one EngineApi, forwards calls to `dispatch` and events
 * from `events` to its clients. Platform abilities (a native folder dialog, which folders may be
 * read, where runs are written) are passed in, so this module never depends on Electron.
 */
import { cpus, homedir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import type { CorpusFs, LoadedCorpus } from '../corpus'
import { createDispatcher, type Dispatch } from './dispatcher'
import { EventHub } from './event-hub'
import { createCorpusHandlers } from './handlers/corpus'
import { createDatasetHandlers } from './handlers/dataset'
import { createTrainingHandlers } from './handlers/training'
import { createCheckpointHandlers } from './handlers/checkpoints'
import { createGenerateHandlers } from './handlers/generate'
import { createModelHandlers } from './handlers/models'
import { createRunHandlers } from './handlers/runs'
import { createEstimateHandlers } from './handlers/estimate'
import { createMachineHandlers } from './handlers/machine'
import { createQueueHandlers } from './handlers/queue'
import { createElsewhereHandlers } from './handlers/elsewhere'

/** Where the app keeps runs unless told otherwise (the CLI's default is ./checkpoints). */
export const DEFAULT_CHECKPOINT_DIR = join(homedir(), 'CLLM Studio', 'checkpoints')

export interface EngineApiOptions {
  transport: 'ipc' | 'websocket'
  version: string
  sampleCorpus: string
  /** Where runs are written; the Checkpoints view lists it and generation reads from it. */
  checkpointDir?: string
  /** Shows a native folder dialog; absent where the transport has none (browser mode). */
  pickFolder?: () => Promise<string | null>
  /** Whether a folder named by the UI may be read. Electron allows dialog picks; `serve` a root. */
  mayRead: (folder: string) => boolean
  /**
   * Moves a deleted run folder to the trash. Electron passes `shell.trashItem`; without one the
   * folder moves into `<checkpoint dir>/.trash/` (see runs/list.ts, folderTrash).
   */
  trash?: (path: string) => Promise<void>
  /** Shows a path in the system file manager (Electron: `shell.showItemInFolder`); absent in the browser. */
  reveal?: (path: string) => void
  /** The folder the desktop app had open last time (already readable), if any. */
  lastFolder?: () => string | undefined
  /** Where the UI types paths (browser): the folders it may read inside, to tell the user. */
  readableRoots?: string[]
  /** Test hook: the file-system calls of a scan (a test holds a folder's listing to catch a scan mid-way). */
  corpusFs?: CorpusFs
}

export interface EngineApi {
  dispatch: Dispatch
  events: EventHub
  /** The corpus of the last finished scan: read once, reused by the later steps of a run. */
  lastCorpus(): LoadedCorpus | undefined
  /** Stops a run in progress (with its checkpoint), starts no queued one, frees the spheres; for app shutdown. */
  shutdown(): Promise<void>
}

/** What the handler groups share: the options, the event hub and the last scanned corpus. */
export interface EngineContext {
  options: EngineApiOptions & { checkpointDir: string }
  events: EventHub
  corpus: { current?: LoadedCorpus }
}

export function createEngineApi(options: EngineApiOptions): EngineApi {
  const context: EngineContext = {
    options: {
      ...options,
      checkpointDir: resolve(options.checkpointDir ?? DEFAULT_CHECKPOINT_DIR),
    },
    events: new EventHub(),
    corpus: {},
  }
  const training = createTrainingHandlers(context)
  const queue = createQueueHandlers(context, training)
  const generation = createGenerateHandlers(context)
  const dispatch = createDispatcher({
    'app.info': async () => ({
      version: options.version,
      sampleCorpus: options.sampleCorpus,
      canPickFolder: options.pickFolder !== undefined,
      transport: options.transport,
      cores: cpus().length,
      totalMemoryBytes: totalmem(),
      checkpointDir: context.options.checkpointDir,
      lastFolder: options.lastFolder?.(),
      readableRoots: options.readableRoots,
    }),
    ...createCorpusHandlers(context),
    ...createDatasetHandlers(context),
    ...training.handlers,
    ...queue.handlers,
    ...createEstimateHandlers(training),
    ...createMachineHandlers(),
    ...createCheckpointHandlers(context),
    ...createRunHandlers(context),
    ...createElsewhereHandlers(context, training),
    ...createModelHandlers(context),
    ...generation.handlers,
  })
  return {
    dispatch,
    events: context.events,
    lastCorpus: () => context.corpus.current,
    shutdown: async () => {
      // First, so that stopping the run in progress does not start the next queued one.
      queue.close()
      await Promise.all([training.shutdown(), generation.shutdown()])
    },
  }
}
