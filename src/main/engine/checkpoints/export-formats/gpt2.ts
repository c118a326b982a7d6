/**
 * GPT-2 out: Hugging Face's GPT2LMHeadModel (parameters under `transformer.*` in Conv1D [in, out]
 * layout, already ours; `lm_head.weight` left out as `save_pretrained` does, since it is tied to
 * `transformer.wte.weight` and re-tied on load) and llama.cpp's `gpt2` loader: token_embd,
 * position_embd, per block attn_norm, attn_qkv, attn_output, ffn_norm, ffn_up, ffn_down (weights and
 * biases), output_norm, and no `output` (llama.cpp ties the head to token_embd when it is absent).
 * Conv1D weights are transposed for ggml, which wants a row per output ([out, in] row-major, dims
 * [in, out]). LayerNorm weights and all biases stay F32 whatever the precision.
 */
import { gpt2ParamLayout } from '../gpt2-layout'
import { GgmlType, matrixType, type GgufPrecision, type GgufTensor } from '../gguf'
import { f32, param, u32, type ArchitectureExport, type ParamsByName } from './types'
import type { ModelConfig } from '../../model/trainer'

/** The kernels' LayerNorm epsilon and GELU (tanh approximation = Hugging Face's "gelu_new"). */
export const LAYER_NORM_EPSILON = 1e-5
export const ACTIVATION_FUNCTION = 'gelu_new'
const HF_PREFIX = 'transformer.'

/** The GPT2Config Hugging Face needs to rebuild exactly this network. */
export function gpt2Config(
  model: ModelConfig,
  endOfTextId: number | null,
): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: model.vocabSize,
    n_positions: model.seqLen,
    n_ctx: model.seqLen,
    n_embd: model.dModel,
    n_layer: model.nLayers,
    n_head: model.nHeads,
    n_inner: null,
    activation_function: ACTIVATION_FUNCTION,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    layer_norm_epsilon: LAYER_NORM_EPSILON,
    initializer_range: 0.02,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    use_cache: true,
    bos_token_id: endOfTextId,
    eos_token_id: endOfTextId,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
  }
}

function transpose(data: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(data.length)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) out[c * rows + r] = data[r * columns + c]
  }
  return out
}

/** The GGUF tensors of a GPT-2 parameter set (names without the `transformer.` prefix). */
export function gpt2GgufTensors(model: ModelConfig, params: ParamsByName, precision: GgufPrecision): GgufTensor[] {
  const D = model.dModel
  const get = (name: string): Float32Array => param(params, name)
  const vector = (name: string, from: string): GgufTensor => ({
    name,
    dims: [get(from).length],
    type: GgmlType.F32,
    data: get(from),
  })
  /** A Conv1D weight [in, out] as a ggml matrix of `out` rows of `in` values. */
  const linear = (name: string, from: string, inputs: number, outputs: number): GgufTensor => ({
    name,
    dims: [inputs, outputs],
    type: matrixType(precision, inputs),
    data: () => transpose(get(from), inputs, outputs),
  })
  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [D, model.vocabSize], type: matrixType(precision, D), data: get('wte.weight') },
    // Position rows are added in F32 after a lookup; F16 keeps them small and exact enough.
    { name: 'position_embd.weight', dims: [D, model.seqLen], type: precision === 'f32' ? GgmlType.F32 : GgmlType.F16, data: get('wpe.weight') },
  ]
  for (let layer = 0; layer < model.nLayers; layer++) {
    const h = `h.${layer}.`
    const blk = `blk.${layer}.`
    tensors.push(
      vector(`${blk}attn_norm.weight`, `${h}ln_1.weight`),
      vector(`${blk}attn_norm.bias`, `${h}ln_1.bias`),
      linear(`${blk}attn_qkv.weight`, `${h}attn.c_attn.weight`, D, 3 * D),
      vector(`${blk}attn_qkv.bias`, `${h}attn.c_attn.bias`),
      linear(`${blk}attn_output.weight`, `${h}attn.c_proj.weight`, D, D),
      vector(`${blk}attn_output.bias`, `${h}attn.c_proj.bias`),
      vector(`${blk}ffn_norm.weight`, `${h}ln_2.weight`),
      vector(`${blk}ffn_norm.bias`, `${h}ln_2.bias`),
      linear(`${blk}ffn_up.weight`, `${h}mlp.c_fc.weight`, D, 4 * D),
      vector(`${blk}ffn_up.bias`, `${h}mlp.c_fc.bias`),
      linear(`${blk}ffn_down.weight`, `${h}mlp.c_proj.weight`, 4 * D, D),
      vector(`${blk}ffn_down.bias`, `${h}mlp.c_proj.bias`),
    )
  }
  tensors.push(vector('output_norm.weight', 'ln_f.weight'), vector('output_norm.bias', 'ln_f.bias'))
  return tensors
}

export const gpt2Export: ArchitectureExport = {
  hfClass: () => 'GPT2LMHeadModel',
  hfConfig: (model, ids) => gpt2Config(model, ids.eosId),
  hfTensors: (model, params) =>
    gpt2ParamLayout(model).map(({ name, shape }) => ({ name: HF_PREFIX + name, shape, data: param(params, name) })),
  label: () => 'GPT-2',
  cardRows: (model) => [
    ['Layers', model.nLayers],
    ['Attention heads', model.nHeads],
    ['Activation', 'GELU (tanh approximation, `gelu_new`)'],
    ['LM head', 'tied to the token embedding'],
  ],
  ggufArchitecture: () => 'gpt2',
  ggufHyperparameters: (model) => [
    ['gpt2.context_length', u32(model.seqLen)],
    ['gpt2.embedding_length', u32(model.dModel)],
    ['gpt2.block_count', u32(model.nLayers)],
    ['gpt2.feed_forward_length', u32(4 * model.dModel)],
    ['gpt2.attention.head_count', u32(model.nHeads)],
    ['gpt2.attention.layer_norm_epsilon', f32(LAYER_NORM_EPSILON)],
  ],
  ggufTensors: gpt2GgufTensors,
}
