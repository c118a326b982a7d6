/**
 * The sphere pool: the Trainer (model/trainer.ts) implemented on worker threads sharing one
 * WebAssembly memory. See pool.ts for the step protocol and sphere.ts for a sphere's side.
 */
export { createTrainer, SphereFault, type CreateTrainerOptions, type FaultInjection, type SpherePoolExtras } from './pool'
export { sphereTopology, sphereParent, sphereChildren, KISSING_NUMBER, type SpherePlace } from './topology'
