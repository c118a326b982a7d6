/**
 * Llama out. The checkpoint already holds LlamaForCausalLM's tensors under their own names and
 * nn.Linear [out, in] shapes, q/k/v and gate/up as separate tensors (model/architectures/llama.ts),
 * so the Hugging Face folder is the parameters as they are, `lm_head.weight` only when the head is
 * untied. A run with q/k/v biases is Qwen2's shape: Qwen2ForCausalLM, whose attention always has
 * those biases (LlamaForCausalLM's `attention_bias` would add one to o_proj too).
 *
 * GGUF: llama.cpp's `llama` loader rotates consecutive pairs (NORM rope) where Hugging Face's
 * rotate_half pairs dimension i with i + hs/2, so q and k rows are permuted within each head as
 * llama.cpp's converter does (`reshape(n_head, 2, hs/2, in).swapaxes(1, 2)`, k with the key/value
 * head count). `qwen2` uses NEOX rope, Hugging Face's own layout: no permutation, the biases as
 * `blk.N.attn_{q,k,v}.bias`. nn.Linear [out, in] row-major is already ggml's [in, out]; norms and
 * biases stay F32 whatever the precision. `output` is written only when the head is untied
 * (llama.cpp ties it to token_embd when absent).
 */
import { llama, llamaShape } from '../../model/architectures/llama'
import type { ModelConfig } from '../../model/trainer'
import { GgmlType, matrixType, type GgufTensor } from '../gguf'
import { f32, param, u32, type ArchitectureExport } from './types'

/** Rows of a q or k projection [heads·hs, in] reordered from rotate_half's halves to interleaved pairs. */
export function permuteForNormRope(data: Float32Array, heads: number, inputs: number): Float32Array {
  const hs = data.length / inputs / heads
  const half = hs / 2
  const out = new Float32Array(data.length)
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const from = (h * hs + j * half + i) * inputs
        out.set(data.subarray(from, from + inputs), (h * hs + 2 * i + j) * inputs)
      }
    }
  }
  return out
}

const isQwen2 = (model: ModelConfig): boolean => llamaShape(model).qkvBias

export const llamaExport: ArchitectureExport = {
  hfClass: (model) => (isQwen2(model) ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'),

  hfConfig(model, { bosId, eosId }) {
    const s = llamaShape(model)
    const common = {
      vocab_size: s.V,
      hidden_size: s.C,
      intermediate_size: s.I,
      num_hidden_layers: s.L,
      num_attention_heads: s.NH,
      num_key_value_heads: s.KV,
      hidden_act: 'silu',
      max_position_embeddings: s.T,
      initializer_range: 0.02,
      rms_norm_eps: s.eps,
      rope_theta: s.theta,
      rope_scaling: null,
      attention_dropout: 0,
      use_cache: true,
      bos_token_id: bosId,
      eos_token_id: eosId,
      tie_word_embeddings: s.tied,
      torch_dtype: 'float32',
    }
    if (s.qkvBias)
      return {
        architectures: ['Qwen2ForCausalLM'],
        model_type: 'qwen2',
        ...common,
        use_sliding_window: false,
        sliding_window: null,
        max_window_layers: s.L,
      }
    return {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      ...common,
      head_dim: s.hs,
      attention_bias: false,
      mlp_bias: false,
      pretraining_tp: 1,
    }
  },

  // The layout's names, shapes and order are the class's own (embedding, layers, norm, head).
  hfTensors: (model, params) =>
    llama.layout(model).tensors.map(({ name, shape }) => ({ name, shape, data: param(params, name) })),

  label: (model) => (isQwen2(model) ? 'Qwen2' : 'Llama'),

  cardRows(model) {
    const s = llamaShape(model)
    return [
      ['Layers', s.L],
      ['Attention heads', `${s.NH} query, ${s.KV} key/value (head size ${s.hs})`],
      ['MLP', `SwiGLU, intermediate size ${s.I}`],
      ['Normalisation', `RMSNorm, epsilon ${s.eps}`],
      ['Positions', `rotary, θ ${s.theta}`],
      ['Biases', s.qkvBias ? 'q/k/v projections only' : 'none'],
      ['LM head', s.tied ? 'tied to the token embedding' : 'its own matrix (`lm_head.weight`)'],
    ]
  },

  ggufArchitecture: (model) => (isQwen2(model) ? 'qwen2' : 'llama'),

  ggufHyperparameters(model) {
    const s = llamaShape(model)
    const arch = s.qkvBias ? 'qwen2' : 'llama'
    return [
      [`${arch}.vocab_size`, u32(s.V)],
      [`${arch}.context_length`, u32(s.T)],
      [`${arch}.embedding_length`, u32(s.C)],
      [`${arch}.block_count`, u32(s.L)],
      [`${arch}.feed_forward_length`, u32(s.I)],
      [`${arch}.attention.head_count`, u32(s.NH)],
      [`${arch}.attention.head_count_kv`, u32(s.KV)],
      [`${arch}.attention.layer_norm_rms_epsilon`, f32(s.eps)],
      [`${arch}.rope.freq_base`, f32(s.theta)],
      [`${arch}.rope.dimension_count`, u32(s.hs)],
    ]
  },

  ggufTensors(model, params, precision) {
    const s = llamaShape(model)
    const permute = !s.qkvBias // llama: NORM rope; qwen2: NEOX, Hugging Face's own order
    const vector = (name: string, from: string): GgufTensor => ({
      name, dims: [param(params, from).length], type: GgmlType.F32, data: param(params, from),
    })
    const matrix = (name: string, from: string, inputs: number, outputs: number, heads = 0): GgufTensor => ({
      name,
      dims: [inputs, outputs],
      type: matrixType(precision, inputs),
      data: heads > 0 ? () => permuteForNormRope(param(params, from), heads, inputs) : param(params, from),
    })
    const tensors: GgufTensor[] = [matrix('token_embd.weight', 'model.embed_tokens.weight', s.C, s.V)]
    for (let l = 0; l < s.L; l++) {
      const p = `model.layers.${l}.`
      const blk = `blk.${l}.`
      tensors.push(
        vector(`${blk}attn_norm.weight`, `${p}input_layernorm.weight`),
        matrix(`${blk}attn_q.weight`, `${p}self_attn.q_proj.weight`, s.C, s.NH * s.hs, permute ? s.NH : 0),
        matrix(`${blk}attn_k.weight`, `${p}self_attn.k_proj.weight`, s.C, s.KV * s.hs, permute ? s.KV : 0),
        matrix(`${blk}attn_v.weight`, `${p}self_attn.v_proj.weight`, s.C, s.KV * s.hs),
      )
      if (s.qkvBias)
        tensors.push(
          vector(`${blk}attn_q.bias`, `${p}self_attn.q_proj.bias`),
          vector(`${blk}attn_k.bias`, `${p}self_attn.k_proj.bias`),
          vector(`${blk}attn_v.bias`, `${p}self_attn.v_proj.bias`),
        )
      tensors.push(
        matrix(`${blk}attn_output.weight`, `${p}self_attn.o_proj.weight`, s.NH * s.hs, s.C),
        vector(`${blk}ffn_norm.weight`, `${p}post_attention_layernorm.weight`),
        matrix(`${blk}ffn_gate.weight`, `${p}mlp.gate_proj.weight`, s.C, s.I),
        matrix(`${blk}ffn_up.weight`, `${p}mlp.up_proj.weight`, s.C, s.I),
        matrix(`${blk}ffn_down.weight`, `${p}mlp.down_proj.weight`, s.I, s.C),
      )
    }
    tensors.push(vector('output_norm.weight', 'model.norm.weight'))
    if (!s.tied) tensors.push(matrix('output.weight', 'lm_head.weight', s.C, s.V))
    return tensors
  },
}
