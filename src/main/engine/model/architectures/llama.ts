/**
 * Llama (and the families that share its shape: SmolLM2, Qwen2 with its q/k/v biases, TinyLlama):
 * RMSNorm, rotary positions in Hugging Face's rotate_half layout, grouped-query attention, SwiGLU MLP,
 * no biases but the optional q/k/v ones, tied or untied LM head. Tensors under Hugging Face's
 * LlamaForCausalLM names and nn.Linear [out, in] shapes, so a Hugging Face folder is a renaming away
 * (GGUF `llama` needs the q/k row permutation on top; `qwen2` does not).
 *
 * In the block, q | k | v and gate | up are laid out back to back, so each pair (or triple) is one
 * [out, in] matrix and one matmul.
 */
import { UserError } from '../../../../shared/errors'
import { defaultFfnDim } from '../../../../shared/architectures'
import { MATMUL_SCRATCH_BYTES, type Kernels } from '../../kernels/abi'
import { Bump, LayoutBuilder, offsetsByName, type ParamLayout } from '../layout'
import type { ModelConfig } from '../trainer'
import type { Architecture, ModelShard, ShardArea } from './architecture'

export const LLAMA_DEFAULTS = { normEps: 1e-5, ropeTheta: 10000, tiedEmbeddings: true, qkvBias: false } as const

export { defaultFfnDim }

/** A Llama config with every default filled in, and the sizes the passes use. */
export interface LlamaShape {
  V: number
  T: number
  C: number
  L: number
  NH: number
  KV: number
  /** Head size: C / NH. */
  hs: number
  /** Width of one q | k | v row: (NH + 2·KV)·hs. */
  QKV: number
  /** SwiGLU intermediate size. */
  I: number
  eps: number
  theta: number
  tied: boolean
  qkvBias: boolean
}

export function llamaShape(config: ModelConfig): LlamaShape {
  const { vocabSize: V, seqLen: T, dModel: C, nLayers: L, nHeads: NH } = config
  const KV = config.nKvHeads ?? NH
  const hs = C / NH
  return {
    V, T, C, L, NH, KV, hs, QKV: (NH + 2 * KV) * hs,
    I: config.ffnDim ?? defaultFfnDim(C),
    eps: config.normEps ?? LLAMA_DEFAULTS.normEps,
    theta: config.ropeTheta ?? LLAMA_DEFAULTS.ropeTheta,
    tied: config.tiedEmbeddings ?? LLAMA_DEFAULTS.tiedEmbeddings,
    qkvBias: config.qkvBias ?? LLAMA_DEFAULTS.qkvBias,
  }
}

/** The same config with every Llama default written out (what a run records). */
export function withLlamaDefaults(config: ModelConfig): ModelConfig {
  const s = llamaShape(config)
  return {
    ...config, architecture: 'llama', nKvHeads: s.KV, ffnDim: s.I, normEps: s.eps, ropeTheta: s.theta,
    tiedEmbeddings: s.tied, qkvBias: s.qkvBias,
  }
}

function validateLlama(config: ModelConfig): void {
  const refuse = (message: string): never => {
    throw new UserError('invalid-config', message)
  }
  const { dModel: C, nHeads: NH } = config
  if (C % NH !== 0) refuse(`--num-heads (${NH}) must divide --embed-dim (${C}) evenly.`)
  const KV = config.nKvHeads ?? NH
  if (!Number.isSafeInteger(KV) || KV <= 0) refuse(`--num-kv-heads must be a positive whole number, got ${KV}.`)
  if (NH % KV !== 0) refuse(`--num-kv-heads (${KV}) must divide --num-heads (${NH}) evenly.`)
  if ((C / NH) % 2 !== 0) refuse(`The head size (--embed-dim / --num-heads = ${C / NH}) must be even for rotary positions.`)
  const I = config.ffnDim ?? defaultFfnDim(C)
  if (!Number.isSafeInteger(I) || I <= 0) refuse(`--ffn-dim must be a positive whole number, got ${I}.`)
  const eps = config.normEps ?? LLAMA_DEFAULTS.normEps
  if (!Number.isFinite(eps) || eps <= 0) refuse(`The RMSNorm epsilon must be a positive number, got ${eps}.`)
  const theta = config.ropeTheta ?? LLAMA_DEFAULTS.ropeTheta
  if (!Number.isFinite(theta) || theta <= 1) refuse(`The rotary base θ must be a number above 1, got ${theta}.`)
}

const layerPrefix = (l: number): string => `model.layers.${l}.`

function llamaLayout(config: ModelConfig): ParamLayout {
  const { V, C, L, NH, KV, hs, I, tied, qkvBias } = llamaShape(config)
  const b = new LayoutBuilder()
  b.add('model.embed_tokens.weight', [V, C], 'normal')
  for (let l = 0; l < L; l++) {
    const p = layerPrefix(l)
    b.add(`${p}input_layernorm.weight`, [C], 'ones')
    b.add(`${p}self_attn.q_proj.weight`, [NH * hs, C], 'normal')
    b.add(`${p}self_attn.k_proj.weight`, [KV * hs, C], 'normal', true)
    b.add(`${p}self_attn.v_proj.weight`, [KV * hs, C], 'normal', true)
    if (qkvBias) {
      b.add(`${p}self_attn.q_proj.bias`, [NH * hs], 'zeros')
      b.add(`${p}self_attn.k_proj.bias`, [KV * hs], 'zeros', true)
      b.add(`${p}self_attn.v_proj.bias`, [KV * hs], 'zeros', true)
    }
    b.add(`${p}self_attn.o_proj.weight`, [C, NH * hs], 'residual-proj')
    b.add(`${p}post_attention_layernorm.weight`, [C], 'ones')
    b.add(`${p}mlp.gate_proj.weight`, [I, C], 'normal')
    b.add(`${p}mlp.up_proj.weight`, [I, C], 'normal', true)
    b.add(`${p}mlp.down_proj.weight`, [C, I], 'residual-proj')
  }
  b.add('model.norm.weight', [C], 'ones')
  if (!tied) b.add('lm_head.weight', [V, C], 'normal')
  return b.finish(config)
}

function llamaParamCount(config: ModelConfig): number {
  const { V, C, L, QKV, I, tied, qkvBias } = llamaShape(config)
  const perLayer = 2 * C + QKV * C + (qkvBias ? QKV : 0) + C * C + 3 * C * I
  return V * C + L * perLayer + C + (tied ? 0 : V * C)
}

/** Byte offsets of one layer's saved activations. */
export interface LlamaLayerActs {
  ln1: number
  ln1Rstd: number
  /** q | k | v rows after the rotation of q and k. */
  qkv: number
  atty: number
  att: number
  residual2: number
  ln2: number
  ln2Rstd: number
  /** gate | up rows. */
  gu: number
  /** silu(gate)·up; shared by all layers (and recomputed in backward) when recomputing. */
  act: number
  residual3: number
}

export interface LlamaShardArea extends ShardArea {
  encoded: number
  layers: LlamaLayerActs[]
  lnf: number
  lnfRstd: number
  dresidual: number
  dln: number
  dgu: number
  dact: number
  dqkv: number
  datty: number
  datt: number
  /** The rotary table: per position, hs/2 cosines then hs/2 sines. */
  rope: number
}

function planLlamaShard(layout: ParamLayout, rows: number, start: number, recompute: boolean): LlamaShardArea {
  const { V, T, C, L, NH, QKV, I, hs } = llamaShape(layout.config)
  const N = rows * T
  const bump = new Bump(start)
  const tokens = bump.take(N)
  const targets = bump.take(N)
  const positions = bump.take(N)
  const encoded = bump.take(N * C)
  const sharedAtt = recompute ? bump.take(rows * NH * T * T) : 0
  const sharedAct = recompute ? bump.take(N * I) : 0
  const layers: LlamaLayerActs[] = []
  for (let l = 0; l < L; l++) {
    layers.push({
      ln1: bump.take(N * C),
      ln1Rstd: bump.take(N),
      qkv: bump.take(N * QKV),
      atty: bump.take(N * C),
      att: recompute ? sharedAtt : bump.take(rows * NH * T * T),
      residual2: bump.take(N * C),
      ln2: bump.take(N * C),
      ln2Rstd: bump.take(N),
      gu: bump.take(N * 2 * I),
      act: recompute ? sharedAct : bump.take(N * I),
      residual3: bump.take(N * C),
    })
  }
  const lnf = bump.take(N * C)
  const lnfRstd = bump.take(N)
  const logits = bump.take(N * V)
  const losses = bump.take(N)
  const dresidual = bump.take(N * C)
  const dln = bump.take(N * C)
  const dgu = bump.take(N * 2 * I)
  const dact = bump.take(N * I)
  const dqkv = bump.take(N * QKV)
  const datty = bump.take(N * C)
  const datt = bump.take(rows * NH * T * T)
  const rope = bump.take(T * hs)
  const matmulScratch = bump.take(MATMUL_SCRATCH_BYTES / 4)
  return {
    rows, recompute, tokens, targets, positions, encoded, layers, lnf, lnfRstd, logits, losses, dresidual, dln, dgu, dact,
    dqkv, datty, datt, rope, matmulScratch, start, bytes: bump.cursor - start,
  }
}

/**
 * The rotary table as Hugging Face's LlamaRotaryEmbedding computes it in float32: inv_freq_i =
 * 1 / θ^(2i/hs), angle = t · inv_freq_i, then cos and sin of the angle.
 */
export function ropeTable(T: number, hs: number, theta: number): Float32Array {
  const half = hs / 2
  const table = new Float32Array(T * hs)
  const f = Math.fround
  for (let i = 0; i < half; i++) {
    const invFreq = f(1 / f(theta ** f((2 * i) / hs)))
    for (let t = 0; t < T; t++) {
      const angle = f(t * invFreq)
      table[t * hs + i] = Math.cos(angle)
      table[t * hs + half + i] = Math.sin(angle)
    }
  }
  return table
}

interface LayerPtrs {
  ln1: number
  /** q_proj's first float; k_proj and v_proj follow it. */
  qkv: number
  /** q_proj.bias (k, v follow), 0 without biases. */
  qkvb: number
  o: number
  ln2: number
  /** gate_proj's first float; up_proj follows. */
  gu: number
  down: number
}

interface Ptrs {
  embed: number
  layers: LayerPtrs[]
  norm: number
  /** lm_head, or the embedding when tied. */
  head: number
}

function pointers(layout: ParamLayout, base: number, s: LlamaShape): Ptrs {
  const offset = offsetsByName(layout)
  const at = (name: string): number => base + offset(name) * 4
  const layers: LayerPtrs[] = []
  for (let l = 0; l < s.L; l++) {
    const p = layerPrefix(l)
    layers.push({
      ln1: at(`${p}input_layernorm.weight`),
      qkv: at(`${p}self_attn.q_proj.weight`),
      qkvb: s.qkvBias ? at(`${p}self_attn.q_proj.bias`) : 0,
      o: at(`${p}self_attn.o_proj.weight`),
      ln2: at(`${p}post_attention_layernorm.weight`),
      gu: at(`${p}mlp.gate_proj.weight`),
      down: at(`${p}mlp.down_proj.weight`),
    })
  }
  const embed = at('model.embed_tokens.weight')
  return { embed, layers, norm: at('model.norm.weight'), head: s.tied ? embed : at('lm_head.weight') }
}

/** Llama's forward and backward of one shard; every step a kernel call on byte offsets, nothing allocated. */
export class LlamaShard implements ModelShard {
  private readonly s: LlamaShape
  private readonly p: Ptrs
  private readonly g: Ptrs

  constructor(
    private readonly k: Kernels,
    memory: ArrayBufferLike,
    layout: ParamLayout,
    private readonly area: LlamaShardArea,
    params: number,
    grads: number,
  ) {
    this.s = llamaShape(layout.config)
    this.p = pointers(layout, params, this.s)
    this.g = pointers(layout, grads, this.s)
    const { T, hs, theta } = this.s
    new Float32Array(memory, area.rope, T * hs).set(ropeTable(T, hs, theta))
  }

  forward(B: number, T: number, withTargets: boolean, segmented = false): number {
    const { k, p, area: a } = this
    const { V, C, NH, KV, hs, QKV, I, eps } = this.s
    const N = B * T
    const positions = segmented ? a.positions : 0
    k.embeddingForward(a.encoded, a.tokens, p.embed, N, C)
    let residual = a.encoded
    for (let l = 0; l < p.layers.length; l++) {
      const w = p.layers[l]
      const s = a.layers[l]
      k.rmsnormForward(s.ln1, s.ln1Rstd, residual, w.ln1, N, C, eps)
      k.matmulNT(s.qkv, s.ln1, w.qkv, N, C, QKV, 0, a.matmulScratch)
      if (w.qkvb) k.biasForward(s.qkv, w.qkvb, N, QKV)
      k.ropeAt(s.qkv, a.rope, positions, B, T, QKV, NH + KV, hs, 0)
      k.segmentedAttentionForward(s.atty, s.att, s.qkv, positions, B, T, NH, KV, hs, a.matmulScratch)
      k.matmulNT(s.residual2, s.atty, w.o, N, C, C, 0, a.matmulScratch)
      k.accumulate(s.residual2, residual, N * C)
      k.rmsnormForward(s.ln2, s.ln2Rstd, s.residual2, w.ln2, N, C, eps)
      k.matmulNT(s.gu, s.ln2, w.gu, N, C, 2 * I, 0, a.matmulScratch)
      k.swigluForward(s.act, s.gu, N, I)
      k.matmulNT(s.residual3, s.act, w.down, N, I, C, 0, a.matmulScratch)
      k.accumulate(s.residual3, s.residual2, N * C)
      residual = s.residual3
    }
    k.rmsnormForward(a.lnf, a.lnfRstd, residual, p.norm, N, C, eps)
    if (!withTargets) {
      for (let b = 0; b < B; b++) this.headRow(b * T + T - 1)
      return 0
    }
    k.matmulNT(a.logits, a.lnf, p.head, N, C, V, 0, a.matmulScratch)
    return k.crossEntropyForward(a.losses, a.logits, a.logits, a.targets, N, V)
  }

  forwardStep(t: number): void {
    const { k, p, area: a } = this
    const { C, NH, KV, hs, QKV, I, eps } = this.s
    const row = (base: number, width: number): number => base + t * width * 4
    k.embeddingForward(row(a.encoded, C), row(a.tokens, 1), p.embed, 1, C)
    let residual = a.encoded
    for (let l = 0; l < p.layers.length; l++) {
      const w = p.layers[l]
      const s = a.layers[l]
      k.rmsnormForward(row(s.ln1, C), row(s.ln1Rstd, 1), row(residual, C), w.ln1, 1, C, eps)
      k.matmulNT(row(s.qkv, QKV), row(s.ln1, C), w.qkv, 1, C, QKV, 0, a.matmulScratch)
      if (w.qkvb) k.biasForward(row(s.qkv, QKV), w.qkvb, 1, QKV)
      // Position t: table row t.
      k.rope(row(s.qkv, QKV), row(a.rope, hs), 1, 1, QKV, NH + KV, hs, 0)
      // The layer's att area is free scratch here (nothing runs backward after generation).
      k.groupedAttentionStep(row(s.atty, C), s.att, s.qkv, t, NH, KV, hs, a.matmulScratch)
      k.matmulNT(row(s.residual2, C), row(s.atty, C), w.o, 1, C, C, 0, a.matmulScratch)
      k.accumulate(row(s.residual2, C), row(residual, C), C)
      k.rmsnormForward(row(s.ln2, C), row(s.ln2Rstd, 1), row(s.residual2, C), w.ln2, 1, C, eps)
      k.matmulNT(row(s.gu, 2 * I), row(s.ln2, C), w.gu, 1, C, 2 * I, 0, a.matmulScratch)
      k.swigluForward(row(s.act, I), row(s.gu, 2 * I), 1, I)
      k.matmulNT(row(s.residual3, C), row(s.act, I), w.down, 1, I, C, 0, a.matmulScratch)
      k.accumulate(row(s.residual3, C), row(s.residual2, C), C)
      residual = s.residual3
    }
    k.rmsnormForward(row(a.lnf, C), row(a.lnfRstd, 1), row(residual, C), p.norm, 1, C, eps)
    this.headRow(t)
  }

  /** Logits of one row: logits[n] = lnf[n] · headᵀ. */
  private headRow(n: number): void {
    const { k, p, area: a } = this
    const { V, C } = this.s
    k.matmulNT(a.logits + n * V * 4, a.lnf + n * C * 4, p.head, 1, C, V, 0, a.matmulScratch)
  }

  backward(B: number, T: number, lossScale: number, segmented = false): void {
    const { k, p, g, area: a } = this
    const { V, C, NH, KV, hs, QKV, I } = this.s
    const N = B * T
    const positions = segmented ? a.positions : 0
    const L = p.layers.length
    const dres = a.dresidual
    // LM head (nn.Linear [V, C]): dhead += dlogitsᵀ · lnf, dlnf = dlogits · head.
    k.crossEntropyBackward(a.logits, a.logits, a.targets, N, V, lossScale)
    k.matmulTN(g.head, a.logits, a.lnf, V, N, C, 1, a.matmulScratch)
    k.matmulNN(a.dln, a.logits, p.head, 0, N, V, C, 0, a.matmulScratch)
    k.zero(dres, N * C)
    const lastResidual = L > 0 ? a.layers[L - 1].residual3 : a.encoded
    k.rmsnormBackward(dres, g.norm, a.dln, lastResidual, p.norm, a.lnfRstd, N, C)
    for (let l = L - 1; l >= 0; l--) {
      const w = p.layers[l]
      const dw = g.layers[l]
      const s = a.layers[l]
      const residual = l === 0 ? a.encoded : a.layers[l - 1].residual3
      if (a.recompute) {
        k.swigluForward(s.act, s.gu, N, I)
        k.segmentedAttentionForward(s.atty, s.att, s.qkv, positions, B, T, NH, KV, hs, a.matmulScratch)
      }
      // dres holds d(residual3). Down projection [C, I]: ddown += dresᵀ · act, dact = dres · down.
      k.matmulTN(dw.down, dres, s.act, C, N, I, 1, a.matmulScratch)
      k.matmulNN(a.dact, dres, w.down, 0, N, C, I, 0, a.matmulScratch)
      k.zero(a.dgu, N * 2 * I)
      k.swigluBackward(a.dgu, s.gu, a.dact, N, I)
      k.matmulTN(dw.gu, a.dgu, s.ln2, 2 * I, N, C, 1, a.matmulScratch)
      k.matmulNN(a.dln, a.dgu, w.gu, 0, N, 2 * I, C, 0, a.matmulScratch)
      // post_attention_layernorm reads residual2: dres becomes d(residual2).
      k.rmsnormBackward(dres, dw.ln2, a.dln, s.residual2, w.ln2, s.ln2Rstd, N, C)
      k.matmulTN(dw.o, dres, s.atty, C, N, C, 1, a.matmulScratch)
      k.matmulNN(a.datty, dres, w.o, 0, N, C, C, 0, a.matmulScratch)
      k.zero(a.dqkv, N * QKV)
      k.segmentedAttentionBackward(a.dqkv, a.datt, a.datty, s.qkv, s.att, positions, B, T, NH, KV, hs, a.matmulScratch)
      // Gradients of the rotated q and k → of the projections' outputs: the inverse rotation.
      k.ropeAt(a.dqkv, a.rope, positions, B, T, QKV, NH + KV, hs, 1)
      if (dw.qkvb) k.biasBackward(dw.qkvb, a.dqkv, N, QKV)
      k.matmulTN(dw.qkv, a.dqkv, s.ln1, QKV, N, C, 1, a.matmulScratch)
      k.matmulNN(a.dln, a.dqkv, w.qkv, 0, N, QKV, C, 0, a.matmulScratch)
      // input_layernorm reads the layer's input: dres becomes d(input of layer l).
      k.rmsnormBackward(dres, dw.ln1, a.dln, residual, w.ln1, s.ln1Rstd, N, C)
    }
    k.embeddingBackward(g.embed, dres, a.tokens, N, C)
  }
}

export const llama: Architecture = {
  name: 'llama',
  validate: validateLlama,
  countParams: llamaParamCount,
  layout: llamaLayout,
  planShard: planLlamaShard,
  createShard: (k, memory, layout, area, params, grads) =>
    new LlamaShard(k, memory, layout, area as LlamaShardArea, params, grads),
}
