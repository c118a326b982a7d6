import { mkdir } from 'node:fs/promises'
import { listRuns } from '../../checkpoints'
import type { Handlers } from '../dispatcher'
import type { EngineContext } from '../engine-api'

export function createCheckpointHandlers(
  context: EngineContext,
): Pick<Handlers, 'checkpoints.list'> {
  return {
    'checkpoints.list': async () => {
      // A first start has no runs yet: an empty folder lists as no runs, not as an error.
      await mkdir(context.options.checkpointDir, { recursive: true })
      return listRuns(context.options.checkpointDir)
    },
  }
}
