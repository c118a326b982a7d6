import type { ParamLayout } from './layout'
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
  const rng = Rng.seeded(seed)
  const residualStd = INIT_STD / Math.sqrt(2 * layout.config.nLayers)
  params.fill(0, 0, layout.totalFloats)
  for (const tensor of layout.tensors) {
    const end = tensor.offset + tensor.size
    switch (tensor.init) {
      case 'normal':
      case 'residual-proj': {
        const std = tensor.init === 'normal' ? INIT_STD : residualStd
        for (let i = tensor.offset; i < end; i++) params[i] = rng.nextNormal() * std
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
