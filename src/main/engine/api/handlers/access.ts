import { relative, resolve, isAbsolute } from 'node:path'
import { UserError } from '../../../../shared/errors'
import type { EngineContext } from '../engine-api'

/** A folder the UI names must be one the platform allows (dialog pick, sample, serve root). */
export function checkReadable(context: EngineContext, folder: string): string {
  const absolute = resolve(folder)
  if (!context.options.mayRead(absolute)) {
    throw new UserError(
      'forbidden',
      `This app may not read ${absolute}. Choose the folder with the folder picker.`,
    )
  }
  return absolute
}

/** Checkpoints the UI names must lie in the checkpoint folder the engine writes to. */
export function checkCheckpointPath(context: EngineContext, path: string): string {
  const absolute = resolve(context.options.checkpointDir, path)
  const inside = relative(context.options.checkpointDir, absolute)
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new UserError(
      'forbidden',
      `${absolute} is not in the checkpoint folder ${context.options.checkpointDir}.`,
    )
  }
  return absolute
}

/**
 * A model to start from: one of the app's own checkpoints (inside the checkpoint folder), or a
 * Hugging Face folder the user picked (readable by the platform's rules).
 */
export function checkModelSource(context: EngineContext, path: string): string {
  const absolute = resolve(context.options.checkpointDir, path)
  const inside = relative(context.options.checkpointDir, absolute)
  if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) return absolute
  if (context.options.mayRead(absolute)) return absolute
  throw new UserError(
    'forbidden',
    `This app may not read ${absolute}. Choose the model's folder with the folder picker, or a checkpoint of your runs.`,
  )
}
