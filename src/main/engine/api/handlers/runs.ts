import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { UserError } from '../../../../shared/errors'
import { deleteRun, folderTrash, listRunSummaries, runHistory, writeNotes } from '../../runs'
import type { Handlers } from '../dispatcher'
import type { EngineContext } from '../engine-api'

type RunHandlers = Pick<Handlers, 'runs.list' | 'runs.history' | 'runs.annotate' | 'runs.delete'>

/**
 * The Runs view: listing, whole history, title and notes, delete to the trash. A run the UI names
 * must be a folder directly in the checkpoint folder: nothing else is read, annotated or deleted.
 */
export function createRunHandlers(context: EngineContext): RunHandlers {
  const root = () => resolve(context.options.checkpointDir)
  const runFolder = (runDir: string): string => {
    const absolute = resolve(root(), runDir)
    if (dirname(absolute) !== root()) {
      throw new UserError('forbidden', `${absolute} is not a run folder in the checkpoint folder ${root()}.`)
    }
    return absolute
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
      await deleteRun(folder, context.options.trash ?? folderTrash(root()))
      return { deleted: folder }
    },
  }
}
