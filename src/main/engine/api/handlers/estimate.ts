import { UserError } from '../../../../shared/errors'
import type { RunConfigInput } from '../../../../shared/training'
import { thisMachine } from '../../session/config'
import { resolveConfig } from '../../session/resolve-config'
import { measureStepTime } from '../../session/step-timing'
import type { Handlers } from '../dispatcher'

/**
 * The time a step of the chosen settings takes here (session/step-timing.ts). Refused while a run
 * trains: the measurement would compete with it for the cores and be wrong.
 */
export function createEstimateHandlers(isTraining: () => boolean): Pick<Handlers, 'training.estimate'> {
  return {
    'training.estimate': async ({ config }) => {
      if (isTraining()) throw new UserError('busy', 'A run is training: the time can be measured once it ends.')
      return measureStepTime(resolveConfig(config as RunConfigInput | undefined, { from: 'scratch' }, thisMachine()))
    },
  }
}
