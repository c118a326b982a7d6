import { mkdir } from 'node:fs/promises'
import { listRuns, verifyCheckpoint } from '../../checkpoints'
import type { Handlers } from '../dispatcher'
import type { EngineContext } from '../engine-api'
import { checkCheckpointPath } from './access'

export function createCheckpointHandlers(
  context: EngineContext,
): Pick<Handlers, 'checkpoints.list' | 'checkpoints.verify'> {
  return {
    'checkpoints.list': async () => {
      // A first start has no runs yet: an empty folder lists as no runs, not as an error.
      await mkdir(context.options.checkpointDir, { recursive: true })
      return listRuns(context.options.checkpointDir)
    },
    'checkpoints.verify': async ({ path }) => {
      const absolute = checkCheckpointPath(context, path)
      const verdict = await verifyCheckpoint(absolute)
      return { path: absolute, ...verdict }
    },
  }
}
