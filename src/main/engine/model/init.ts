import type { ParamLayout } from './layout'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { Rng } from '../rng'

/** GPT-2's initialiser range (HF `initializer_range`). */
export const INIT_STD = 0.02

/**
 * GPT-2 initialisation into `params` (the parameter block, padding included): normal(0, 0.02) for
 * embeddings and weights, normal(0, 0.02/√(2L)) for the two residual projections (`attn.c_proj`,
 * `mlp.c_proj`), biases 0, LayerNorm weights 1. Tensors are drawn in layout order from one seeded
 * stream, so the same seed gives the same model.
 */
export function initParams(params: Float32Array, layout: ParamLayout, seed: number): void {
  for (const _ of initSlices(params, layout, seed)) {
    // Runs to completion.
  }
}

/** Values drawn between two turns of the event loop in initParamsYielding (Box–Muller costs ~75 ns a value: ~5 ms). */
const YIELD_EVERY = 1 << 16
/** Floats zeroed between two turns (16 MB; first touch of fresh pages makes this ~5 ms, not less). */
const ZERO_EVERY = 1 << 22

/**
 * initParams with a turn of the event loop every YIELD_EVERY values: the same values, but the
 * 124M-parameter shape does not hold the engine's process for seconds.
 */
export async function initParamsYielding(params: Float32Array, layout: ParamLayout, seed: number): Promise<void> {
  for (const _ of initSlices(params, layout, seed)) await yieldToLoop()
}

/** The initialisation, pausing (yield) after every YIELD_EVERY values drawn. One stream, layout order. */
function* initSlices(params: Float32Array, layout: ParamLayout, seed: number): Generator<void> {
  const rng = Rng.seeded(seed)
  const residualStd = INIT_STD / Math.sqrt(2 * layout.config.nLayers)
  for (let from = 0; from < layout.totalFloats; from += ZERO_EVERY) {
    params.fill(0, from, Math.min(layout.totalFloats, from + ZERO_EVERY))
    yield
  }
  for (const tensor of layout.tensors) {
    const end = tensor.offset + tensor.size
    switch (tensor.init) {
      case 'normal':
      case 'residual-proj': {
        const std = tensor.init === 'normal' ? INIT_STD : residualStd
        for (let from = tensor.offset; from < end; from += YIELD_EVERY) {
          const to = Math.min(end, from + YIELD_EVERY)
          for (let i = from; i < to; i++) params[i] = rng.nextNormal() * std
          yield
        }
        break
      }
      case 'ones':
        params.fill(1, tensor.offset, end)
        break
      case 'zeros':
        break
    }
  }
}
