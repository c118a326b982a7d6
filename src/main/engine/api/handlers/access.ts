import { resolve } from 'node:path'
import { UserError } from '../../../../shared/errors'
import { assertNoLinksBelow, ContainedRoot, resolveInside } from '../../containment'
import type { EngineContext } from '../engine-api'

/**
 * The checkpoint folder as a contained root (made on a first start): run folders, `.trash`,
 * `.prepare` and `exports` are reached through it, never through a link.
 */
export function checkpointRoot(context: EngineContext): ContainedRoot {
  return ContainedRoot.open(context.options.checkpointDir, 'The checkpoint folder', {
    create: true,
  })
}

/**
 * How the user names a folder this app may read: with the folder picker in the desktop app; in the
 * browser build, which has none, by typing one inside the folders `cllm serve --root` allows.
 */
function howToChoose(context: EngineContext, what: string): string {
  if (context.options.pickFolder) return `Choose ${what} with the folder picker`
  const roots = context.options.readableRoots ?? []
  return roots.length > 0
    ? `Type ${what} inside ${roots.join(' or ')} (the folders cllm serve --root allows)`
    : `Type ${what} inside a folder this studio may read`
}

/** A folder the UI names must be one the platform allows (dialog pick, sample, serve root). */
export function checkReadable(context: EngineContext, folder: string): string {
  const absolute = resolve(folder)
  if (!context.options.mayRead(absolute)) {
    throw new UserError(
      'forbidden',
      `This app may not read ${absolute}. ${howToChoose(context, 'the folder')}.`,
    )
  }
  return absolute
}

/**
 * Checkpoints the UI names must lie in the checkpoint folder the engine writes to, by their real
 * path: a link in that folder that leads elsewhere is refused.
 */
export function checkCheckpointPath(context: EngineContext, path: string): string {
  const { checkpointDir } = context.options
  const absolute = resolveInside(checkpointDir, path, 'the checkpoint folder')
  if (absolute === resolve(checkpointDir)) {
    throw new UserError('invalid-input', `${absolute} is the checkpoint folder, not a checkpoint.`)
  }
  return absolute
}

/**
 * A checkpoint to resume from: besides lying in the checkpoint folder, neither it nor any folder
 * between it and the checkpoint folder may be a link, because the resumed run writes beside it.
 */
export function checkResumePath(context: EngineContext, path: string): string {
  const absolute = checkCheckpointPath(context, path)
  assertNoLinksBelow(context.options.checkpointDir, absolute)
  return absolute
}

/**
 * A model to start from: one of the app's own checkpoints (inside the checkpoint folder), or a
 * Hugging Face folder the user picked (readable by the platform's rules).
 */
export function checkModelSource(context: EngineContext, path: string): string {
  const absolute = resolve(context.options.checkpointDir, path)
  if (context.options.mayRead(absolute)) return absolute
  try {
    return checkCheckpointPath(context, path)
  } catch {
    throw new UserError(
      'forbidden',
      `This app may not read ${absolute}. ${howToChoose(context, "the model's folder")}, or name a checkpoint of your runs.`,
    )
  }
}
