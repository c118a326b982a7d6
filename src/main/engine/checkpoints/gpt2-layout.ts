/**
 * The parameter tensors of a GPT-2 model of a given shape, with Hugging Face's names (as in
 * GPT2Model's state dict) and Conv1D's [in, out] weight layout. A checkpoint must hold exactly these,
 * plus an AdamW moment of the same shape for each under `optimizer.m.` and `optimizer.v.`.
 */
import type { ModelConfig } from '../model/trainer'

export interface TensorShape {
  name: string
  shape: number[]
}

export function gpt2ParamLayout(config: ModelConfig): TensorShape[] {
  const { vocabSize: V, seqLen: T, dModel: D, nLayers } = config
  const layout: TensorShape[] = [
    { name: 'wte.weight', shape: [V, D] },
    { name: 'wpe.weight', shape: [T, D] },
  ]
  for (let layer = 0; layer < nLayers; layer++) {
    const h = `h.${layer}`
    layout.push(
      { name: `${h}.ln_1.weight`, shape: [D] },
      { name: `${h}.ln_1.bias`, shape: [D] },
      { name: `${h}.attn.c_attn.weight`, shape: [D, 3 * D] },
      { name: `${h}.attn.c_attn.bias`, shape: [3 * D] },
      { name: `${h}.attn.c_proj.weight`, shape: [D, D] },
      { name: `${h}.attn.c_proj.bias`, shape: [D] },
      { name: `${h}.ln_2.weight`, shape: [D] },
      { name: `${h}.ln_2.bias`, shape: [D] },
      { name: `${h}.mlp.c_fc.weight`, shape: [D, 4 * D] },
      { name: `${h}.mlp.c_fc.bias`, shape: [4 * D] },
      { name: `${h}.mlp.c_proj.weight`, shape: [4 * D, D] },
      { name: `${h}.mlp.c_proj.bias`, shape: [D] },
    )
  }
  layout.push({ name: 'ln_f.weight', shape: [D] }, { name: 'ln_f.bias', shape: [D] })
  return layout
}

export const ADAM_M_PREFIX = 'optimizer.m.'
export const ADAM_V_PREFIX = 'optimizer.v.'

/** Every tensor a checkpoint of this config holds: parameters, then first moments, then second moments. */
export function checkpointTensorLayout(config: ModelConfig): TensorShape[] {
  const params = gpt2ParamLayout(config)
  return [
    ...params,
    ...params.map((p) => ({ name: ADAM_M_PREFIX + p.name, shape: p.shape })),
    ...params.map((p) => ({ name: ADAM_V_PREFIX + p.name, shape: p.shape })),
  ]
}
