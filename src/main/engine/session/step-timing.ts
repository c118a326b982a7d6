/**
 * How long one training step of a config takes on this machine, measured rather than guessed: the
 * real sphere pool runs a few steps on random tokens (one untimed warm-up step, then the median of
 * the timed ones). Cached per model, batch and thread count, so asking again is free.
 */
import type { ResolvedRunConfig } from '../../../shared/training'
import { Rng } from '../rng'
import { createTrainer } from '../spheres/pool'
import { adamwOf, toModelConfig } from './config'

export interface StepTiming {
  /** Median wall time of one optimizer step, in milliseconds. */
  msPerStep: number
  /** Steps timed (after the warm-up). */
  measuredSteps: number
}

const TIMED_STEPS = 3
const cache = new Map<string, Promise<StepTiming>>()

/** What the step time depends on: everything else (learning rate, epochs, paths) does not change it. */
export function timingKey(config: ResolvedRunConfig): string {
  const { model, training } = config
  return JSON.stringify([model.architecture, model.vocabSize, model.embedDim, model.numLayers, model.numHeads, model.numKvHeads, model.ffnDim, model.seqLen, training.batchSize, training.threads])
}

export function measureStepTime(config: ResolvedRunConfig, kernels: 'wasm' | 'reference' = 'wasm'): Promise<StepTiming> {
  const key = `${kernels}:${timingKey(config)}`
  let timing = cache.get(key)
  if (!timing) {
    timing = measure(config, kernels)
    cache.set(key, timing)
    // A failed measurement (no memory, say) is not remembered: the next ask tries again.
    timing.catch(() => cache.delete(key))
  }
  return timing
}

async function measure(config: ResolvedRunConfig, kernels: 'wasm' | 'reference'): Promise<StepTiming> {
  const { model, training } = config
  const trainer = await createTrainer({
    model: toModelConfig(model),
    adamw: adamwOf(config),
    batchSize: training.batchSize,
    threads: training.threads,
    seed: training.seed,
    kernels,
  })
  try {
    // Random tokens: a step costs the same whatever the text says.
    const rng = Rng.seeded(training.seed, 7)
    const window = model.seqLen + 1
    const tokens = new Uint16Array(window * training.batchSize * 2)
    for (let i = 0; i < tokens.length; i++) tokens[i] = rng.nextInt(model.vocabSize)
    const starts = Array.from({ length: training.batchSize }, (_, row) => row * window)
    const times: number[] = []
    for (let step = 0; step <= TIMED_STEPS; step++) {
      const began = performance.now()
      await trainer.step(tokens, starts, training.learningRate)
      if (step > 0) times.push(performance.now() - began)
    }
    times.sort((a, b) => a - b)
    return { msPerStep: times[Math.floor(times.length / 2)], measuredSteps: times.length }
  } finally {
    await trainer.close()
  }
}
