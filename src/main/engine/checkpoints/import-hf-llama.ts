/**
 * The Llama family of Hugging Face folders (`model_type` `llama`, `qwen2`, `mistral`; SmolLM2 and
 * TinyLlama are `llama`): config.json mapped onto the engine's `llama` architecture, and the
 * weights under their Hugging Face names, which are the engine's own (LlamaForCausalLM's names,
 * nn.Linear [out, in]; the layout puts q | k | v and gate | up back to back, so each tensor is copied
 * into its place as it is). What the kernels would compute differently — another activation, rotary
 * scaling, a sliding window shorter than the context, biases the family does not have — is refused
 * naming the config field, never approximated.
 */
import { UserError } from '../../../shared/errors'
import { architectureOf, createParamLayout } from '../model/architectures'
import { MODEL_SHAPE_BOUNDS, WASM32_MAX_BYTES } from '../model/memory-plan'
import type { ModelConfig, NamedTensor } from '../model/trainer'
import { refuse } from './hf-folder'
import { finiteFloat32, type RawTensor } from './hf-safetensors'

export const LLAMA_MODEL_TYPES = ['llama', 'qwen2', 'mistral'] as const
export type LlamaModelType = (typeof LLAMA_MODEL_TYPES)[number]

export function isLlamaModelType(value: unknown): value is LlamaModelType {
  return typeof value === 'string' && (LLAMA_MODEL_TYPES as readonly string[]).includes(value)
}

/**
 * transformers' defaults for the fields a config.json may leave out (LlamaConfig, Qwen2Config,
 * MistralConfig): absent means these, as `from_pretrained` reads it.
 */
const HF_DEFAULTS: Record<LlamaModelType, { rmsNormEps: number; ropeTheta: number; tied: boolean; context: number; slidingWindow: number | null }> = {
  llama: { rmsNormEps: 1e-6, ropeTheta: 10000, tied: false, context: 2048, slidingWindow: null },
  qwen2: { rmsNormEps: 1e-6, ropeTheta: 10000, tied: false, context: 32768, slidingWindow: 4096 },
  mistral: { rmsNormEps: 1e-6, ropeTheta: 10000, tied: false, context: 4096 * 32, slidingWindow: 4096 },
}

/** The widest SwiGLU the run config accepts (shared/training.ts: ffnDim). */
const MAX_FFN_DIM = 1 << 20

/**
 * The engine's llama config from a Llama-family config.json. `seqLen` is the folder's context
 * (max_position_embeddings); a run may train on a shorter window (rotary positions have no
 * parameters). Every size is bounded, and the weights with their AdamW moments and one gradient
 * must fit one WebAssembly memory, before anything is allocated.
 */
export function llamaShapeFromConfig(config: Record<string, unknown>, type: LlamaModelType, file: string): ModelConfig {
  const defaults = HF_DEFAULTS[type]
  const field = (key: string): unknown => config[key]
  const present = (key: string): boolean => field(key) !== undefined && field(key) !== null
  const int = (key: string, fallback?: number): number => {
    const value = present(key) ? field(key) : fallback
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
      throw refuse(`${file}: ${key} must be a positive whole number, got ${JSON.stringify(field(key))}.`)
    return value
  }
  const number = (key: string, fallback: number): number => {
    const value = present(key) ? field(key) : fallback
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw refuse(`${file}: ${key} must be a number, got ${JSON.stringify(field(key))}.`)
    return value
  }
  const unsupported = (key: string, why: string): never => {
    throw refuse(`${file}: ${key} ${JSON.stringify(field(key))} is not supported; ${why}.`)
  }

  const hidden = int('hidden_size')
  const heads = int('num_attention_heads')
  const kvHeads = int('num_key_value_heads', heads)
  const context = int('max_position_embeddings', defaults.context)
  const model: ModelConfig = {
    architecture: 'llama',
    vocabSize: int('vocab_size'),
    seqLen: context,
    dModel: hidden,
    nLayers: int('num_hidden_layers'),
    nHeads: heads,
    nKvHeads: kvHeads,
    ffnDim: int('intermediate_size'),
    normEps: number('rms_norm_eps', defaults.rmsNormEps),
    ropeTheta: number('rope_theta', defaults.ropeTheta),
    tiedEmbeddings: present('tie_word_embeddings') ? field('tie_word_embeddings') === true : defaults.tied,
    qkvBias: type === 'qwen2',
  }
  if (present('tie_word_embeddings') && typeof field('tie_word_embeddings') !== 'boolean')
    unsupported('tie_word_embeddings', 'it must be true or false')

  // What the kernels compute: SiLU-gated MLP, plain rotary positions over the whole head, full causal attention.
  const activation = present('hidden_act') ? field('hidden_act') : 'silu'
  if (activation !== 'silu') unsupported('hidden_act', 'the MLP here is SwiGLU with SiLU ("silu")')
  if (present('rope_scaling')) unsupported('rope_scaling', 'rotary positions here are unscaled (rope_scaling null)')
  // SmolLM's nanotron-made configs say whether rotary pairs are interleaved; here they are rotate_half's.
  if (field('rope_interleaved') === true) unsupported('rope_interleaved', "rotary positions here pair dimension i with i + head/2 (Hugging Face's rotate_half)")
  if (present('partial_rotary_factor') && field('partial_rotary_factor') !== 1)
    unsupported('partial_rotary_factor', 'rotary positions here turn the whole head (1)')
  if (present('head_dim') && field('head_dim') !== hidden / heads)
    unsupported('head_dim', `the head size here is hidden_size / num_attention_heads (${hidden / heads})`)
  if (type !== 'qwen2' && field('attention_bias') === true)
    unsupported('attention_bias', `a ${type} model here has no attention biases (only Qwen2's q/k/v ones)`)
  if (field('mlp_bias') === true) unsupported('mlp_bias', 'the MLP here has no biases')
  if (present('attention_dropout') && field('attention_dropout') !== 0)
    unsupported('attention_dropout', 'training here applies no dropout (0)')
  if (present('pretraining_tp') && field('pretraining_tp') !== 1)
    unsupported('pretraining_tp', 'the projections here are computed whole (1)')
  slidingWindowProblem(config, type, context, file)

  // Bounded before anything is laid out or allocated (the context excepted: rotary positions hold
  // no weights, and the run's window is planned when the run is).
  const bounds: Array<[string, number, number]> = [
    ['vocab_size', model.vocabSize, MODEL_SHAPE_BOUNDS.vocabSize],
    ['hidden_size', hidden, MODEL_SHAPE_BOUNDS.dModel],
    ['num_hidden_layers', model.nLayers, MODEL_SHAPE_BOUNDS.nLayers],
    ['num_attention_heads', heads, MODEL_SHAPE_BOUNDS.nHeads],
    ['num_key_value_heads', kvHeads, MODEL_SHAPE_BOUNDS.nHeads],
    ['intermediate_size', model.ffnDim!, MAX_FFN_DIM],
  ]
  for (const [key, value, limit] of bounds)
    if (value > limit) throw refuse(`${file}: ${key} ${value} is above the largest CLLM builds (${limit}).`)
  if (heads % kvHeads !== 0)
    throw refuse(`${file}: num_key_value_heads (${kvHeads}) must divide num_attention_heads (${heads}).`)
  if (hidden % heads !== 0) throw refuse(`${file}: num_attention_heads (${heads}) must divide hidden_size (${hidden}).`)
  if ((hidden / heads) % 2 !== 0)
    throw refuse(`${file}: the head size (hidden_size / num_attention_heads = ${hidden / heads}) must be even for rotary positions.`)
  if (!(model.normEps! > 0)) unsupported('rms_norm_eps', 'it must be a positive number')
  if (!(model.ropeTheta! > 1)) unsupported('rope_theta', 'it must be a number above 1')

  const params = architectureOf(model).countParams(model)
  const leastBytes = params * 4 * 4
  if (leastBytes > WASM32_MAX_BYTES)
    throw refuse(
      `${file}: a model of this shape has ${params.toLocaleString('en-US')} parameters and needs at least ${(leastBytes / 2 ** 30).toFixed(1)} GiB for its weights, AdamW moments and one gradient, more than the 4 GiB one WebAssembly memory addresses.`,
    )
  try {
    architectureOf(model).validate(model)
  } catch (error) {
    if (error instanceof UserError) throw refuse(`${file}: ${error.message}`)
    throw error
  }
  return model
}

/**
 * Mistral's and Qwen2's sliding-window attention: a window at least as long as the context limits
 * nothing (every position sees all before it, as here); a shorter one is refused.
 */
function slidingWindowProblem(config: Record<string, unknown>, type: LlamaModelType, context: number, file: string): void {
  if (type === 'llama') return
  // Qwen2 slides only where use_sliding_window is true; Mistral whenever sliding_window is set.
  if (type === 'qwen2' && config.use_sliding_window !== true) return
  const window = 'sliding_window' in config ? config.sliding_window : HF_DEFAULTS[type].slidingWindow
  if (window === null || window === undefined) return
  if (typeof window !== 'number' || !Number.isSafeInteger(window) || window <= 0)
    throw refuse(`${file}: sliding_window must be null or a positive whole number, got ${JSON.stringify(window)}.`)
  if (window < context)
    throw refuse(
      `${file}: sliding_window ${window} is not supported; it limits attention to ${window} positions, shorter than the context (max_position_embeddings ${context}), and attention here sees the whole context.`,
    )
}

/** Buffers older Llama files carry beside the parameters (the rotary frequencies); not parameters. */
const ROTARY_BUFFER = /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/
const LM_HEAD = 'lm_head.weight'
const EMBEDDING = 'model.embed_tokens.weight'

/** The engine's llama parameters from a folder's tensors, checked name by name and shape by shape. */
export function llamaParams(tensors: Map<string, RawTensor>, model: ModelConfig, where: string): NamedTensor[] {
  const layout = createParamLayout(model)
  const expected = new Set(layout.tensors.map((t) => t.name))
  const tied = model.tiedEmbeddings === true
  const unknown = [...tensors.keys()].filter((name) => !expected.has(name) && !ROTARY_BUFFER.test(name) && !(tied && name === LM_HEAD))
  if (unknown.length > 0) {
    const biases = unknown.filter((name) => /\.(q|k|v)_proj\.bias$/.test(name))
    const why = biases.length > 0 && !model.qkvBias ? ' (q/k/v biases: config.json does not describe a model with them)' : ''
    throw refuse(`${where} holds tensors this model does not have${why}: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}.`)
  }
  const params = layout.tensors.map(({ name, shape }) => {
    const tensor = tensors.get(name)
    if (!tensor) {
      const why = name === LM_HEAD ? ' (config.json says tie_word_embeddings false, so the LM head is its own tensor)' : ''
      throw refuse(`${where} has no tensor ${name}${why}.`)
    }
    if (tensor.shape.join(',') !== shape.join(','))
      throw refuse(`${tensor.file}: tensor ${name} is [${tensor.shape.join(', ')}], but config.json's shape needs [${shape.join(', ')}].`)
    return { name, shape: [...shape], data: finiteFloat32(tensor) }
  })
  const head = tied ? tensors.get(LM_HEAD) : undefined
  if (head) {
    // An LM head stored beside a tied embedding is fine only if it is the embedding.
    const embedding = params.find((t) => t.name === EMBEDDING)!.data
    const values = finiteFloat32(head)
    if (values.length !== embedding.length || values.some((value, i) => value !== embedding[i]))
      throw refuse(`${head.file}: lm_head.weight differs from the token embedding, but config.json says tie_word_embeddings true.`)
  }
  return params
}
