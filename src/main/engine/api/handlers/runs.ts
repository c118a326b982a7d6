import { mkdir } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { existsSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { basename, dirname, resolve } from 'node:path'
import { UserError } from '../../../../shared/errors'
import { loadCorpus } from '../../corpus'
import { deleteRun, folderTrash, listRunSummaries, runHistory, writeNotes } from '../../runs'
import { cachedChatValidation, cachedValidationTokens } from '../../dataset/validation'
import { conversationWindows, scoreChatWindows } from '../../chat/evaluate'
import { readChatData } from '../../chat/data'
import { DEFAULT_TEMPLATE_SOURCE } from '../../chat/model-template'
import { isChatFile } from '../../chat/records'
import { ChatTemplate } from '../../chat/template'
import { evaluateTexts, evaluateTokenStreams, openCheckpointModel } from '../../session/from-checkpoint'
import type { Handlers } from '../dispatcher'
import type { EngineContext } from '../engine-api'
import { checkCheckpointPath, checkpointRoot, checkReadable } from './access'

type RunHandlers = Pick<
  Handlers,
  | 'runs.list'
  | 'runs.history'
  | 'runs.annotate'
  | 'runs.delete'
  | 'runs.reveal'
  | 'checkpoints.evaluate'
  | 'checkpoints.cancelEvaluate'
>

/** Progress at most every 100 ms (and always the first and last), whatever the batch size. */
function throttled<A extends unknown[]>(emit: (...args: A) => void): (force: boolean, ...args: A) => void {
  let last = 0
  return (force, ...args) => {
    const now = performance.now()
    if (!force && now - last < 100) return
    last = now
    emit(...args)
  }
}

/**
 * The Runs view: listing, whole history, title and notes, delete to the trash. A run the UI names
 * must be a folder directly in the checkpoint folder: nothing else is read, annotated or deleted.
 */
export function createRunHandlers(context: EngineContext): RunHandlers {
  const root = () => resolve(context.options.checkpointDir)
  // A run folder is a real folder directly in the checkpoint folder, opened under the containment
  // rule: a link there (to a folder outside) is refused, never read, annotated or deleted.
  const runFolder = (runDir: string): string => {
    const absolute = resolve(root(), runDir)
    if (dirname(absolute) !== root()) {
      throw new UserError('forbidden', `${absolute} is not a run folder in the checkpoint folder ${root()}.`)
    }
    return checkpointRoot(context).folder(basename(absolute))
  }
  /** Evaluations under way, by the caller's id, to cancel. */
  const evaluations = new Map<string, AbortController>()
  return {
    'runs.list': async () => {
      await mkdir(root(), { recursive: true })
      return listRunSummaries(root())
    },
    'runs.history': async ({ runDir }) => runHistory(runFolder(runDir)),
    'runs.annotate': async ({ runDir, title, notes }) =>
      writeNotes(runFolder(runDir), {
        ...(title !== undefined ? { title } : {}),
        ...(notes !== undefined ? { notes } : {}),
      }),
    'runs.delete': async ({ runDir }) => {
      const folder = runFolder(runDir)
      await deleteRun(folder, context.options.trash ?? folderTrash(checkpointRoot(context)))
      return { deleted: folder }
    },
    'runs.reveal': async ({ path }) => {
      const absolute = checkCheckpointPath(context, path)
      // Only what exists: a made-up name is refused, not echoed back as if it were a place.
      if (!existsSync(absolute)) throw new UserError('not-found', `There is no ${basename(absolute)} in the checkpoint folder.`)
      if (!context.options.reveal) return { revealed: false, path: absolute }
      context.options.reveal(absolute)
      return { revealed: true, path: absolute }
    },
    'checkpoints.evaluate': async ({ checkpoint, folder, evaluationId = randomUUID() }) => {
      const file = checkCheckpointPath(context, checkpoint)
      const controller = new AbortController()
      evaluations.set(evaluationId, controller)
      const progress = throttled((phase: 'reading' | 'scoring', done: number, total: number) =>
        context.events.emit('checkpoints.evaluateProgress', { evaluationId, phase, done, total }),
      )
      try {
        progress(true, 'reading', 0, 0)
        const documents = folder
          ? (await loadCorpus({ folder: checkReadable(context, folder) }, { signal: controller.signal })).documents
          : null
        // A folder of chat data only (.jsonl) is scored as conversations, answers only; otherwise as text.
        const chatOnly = documents !== null && documents.length > 0 && documents.every((d) => isChatFile(d.path))
        const texts = documents && !chatOnly ? documents.map((d) => d.text) : null
        if (controller.signal.aborted) throw new UserError('cancelled', 'Evaluation cancelled.')
        const threads = Math.max(1, Math.min(4, availableParallelism()))
        const model = await openCheckpointModel(file, { threads, batchSize: threads * 4 })
        try {
          const options = {
            signal: controller.signal,
            onProgress: ({ done, total }: { done: number; total: number }) => progress(done === total, 'scoring', done, total),
          }
          if (texts) return await evaluateTexts(model, texts, threads * 4, options)
          if (documents) {
            const { conversations } = readChatData(documents)
            if (conversations.length === 0) throw new UserError('no-usable-text', 'The chat data holds no usable conversation.')
            const template = new ChatTemplate(model.chat ?? DEFAULT_TEMPLATE_SOURCE)
            return await scoreChatWindows(model.trainer, conversationWindows(conversations, model.tokenizer, template, model.trainer.config.seqLen))
          }
          // No folder: the run's own validation split, as its dataset cut it (a chat run's held-out
          // conversations, answers only, as its validation loss).
          const chat = await cachedChatValidation(dirname(file))
          if (chat) return await scoreChatWindows(model.trainer, chat)
          const validation = await cachedValidationTokens(dirname(file), model.trainer.config.seqLen)
          if (!validation) {
            throw new UserError('not-found', `The run of ${basename(file)} has no dataset in its folder to take its validation split from: choose a folder of text instead.`)
          }
          return await evaluateTokenStreams(model, [validation], threads * 4, options)
        } finally {
          await model.close()
        }
      } finally {
        evaluations.delete(evaluationId)
      }
    },
    'checkpoints.cancelEvaluate': async ({ evaluationId }) => {
      const controller = evaluations.get(evaluationId)
      controller?.abort()
      return { cancelled: controller !== undefined }
    },
  }
}
