import type { RunConfigInput } from '../../../../shared/training'
import { thisMachine } from '../../session/config'
import { resolveConfig } from '../../session/resolve-config'
import { measureStepTime } from '../../session/step-timing'
import type { Handlers } from '../dispatcher'
import type { SphereSlot } from './training'

/**
 * The time a step of the chosen settings takes here (session/step-timing.ts). Refused while a run
 * trains: the measurement would compete with it for the cores and be wrong; and no run starts while
 * it measures.
 */
export function createEstimateHandlers(spheres: Pick<SphereSlot, 'holdSpheres'>): Pick<Handlers, 'training.estimate'> {
  return {
    'training.estimate': async ({ config }) => {
      const resolved = resolveConfig(config as RunConfigInput | undefined, { from: 'scratch' }, thisMachine())
      return spheres.holdSpheres('measuring the time of a step', 'A run is training: the time can be measured once it ends.', () =>
        measureStepTime(resolved),
      )
    },
  }
}
