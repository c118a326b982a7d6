/**
 * The parameter tensors a checkpoint of a given shape holds, with its architecture's Hugging Face names
 * and shapes (model/architectures/): GPT-2's as in GPT2Model's state dict with Conv1D's [in, out]
 * weights, Llama's as in LlamaForCausalLM's with nn.Linear's [out, in]. A checkpoint must hold exactly
 * these, plus an AdamW moment of the same shape for each under `optimizer.m.` and `optimizer.v.`.
 */
import { architectureNamed, createParamLayout } from '../model/architectures'
import type { ModelConfig } from '../model/trainer'

export interface TensorShape {
  name: string
  shape: number[]
}

/** The tensors of the config's architecture (GPT-2 when it names none). */
export function paramTensorLayout(config: ModelConfig): TensorShape[] {
  return createParamLayout(config).tensors.map(({ name, shape }) => ({ name, shape }))
}

/** GPT-2's tensors for this shape, whatever the config names (the GPT-2 Hugging Face import and export). */
export function gpt2ParamLayout(config: ModelConfig): TensorShape[] {
  return architectureNamed('gpt2').layout(config).tensors.map(({ name, shape }) => ({ name, shape }))
}

export const ADAM_M_PREFIX = 'optimizer.m.'
export const ADAM_V_PREFIX = 'optimizer.v.'

/** Every tensor a checkpoint of this config holds: parameters, then first moments, then second moments. */
export function checkpointTensorLayout(config: ModelConfig): TensorShape[] {
  const params = paramTensorLayout(config)
  return [
    ...params,
    ...params.map((p) => ({ name: ADAM_M_PREFIX + p.name, shape: p.shape })),
    ...params.map((p) => ({ name: ADAM_V_PREFIX + p.name, shape: p.shape })),
  ]
}
