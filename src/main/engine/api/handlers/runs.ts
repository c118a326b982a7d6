import { mkdir } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { existsSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { UserError } from '../../../../shared/errors'
import { loadCorpus } from '../../corpus'
import { deleteRun, folderTrash, listRunSummaries, runHistory, writeNotes } from '../../runs'
import { evaluateTexts, openCheckpointModel } from '../../session/from-checkpoint'
import type { Handlers } from '../dispatcher'
import type { EngineContext } from '../engine-api'
import { checkCheckpointPath, checkpointRoot, checkReadable } from './access'

type RunHandlers = Pick<
  Handlers,
  'runs.list' | 'runs.history' | 'runs.annotate' | 'runs.delete' | 'runs.reveal' | 'checkpoints.evaluate'
>

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
    'checkpoints.evaluate': async ({ checkpoint, folder }) => {
      const file = checkCheckpointPath(context, checkpoint)
      const texts = (await loadCorpus({ folder: checkReadable(context, folder) })).documents.map((d) => d.text)
      const threads = Math.max(1, Math.min(4, availableParallelism()))
      const model = await openCheckpointModel(file, { threads, batchSize: threads * 4 })
      try {
        return await evaluateTexts(model, texts, threads * 4)
      } finally {
        await model.close()
      }
    },
  }
}
