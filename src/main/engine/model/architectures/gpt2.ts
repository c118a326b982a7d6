/**
 * GPT-2 (Radford et al. 2019, as Hugging Face's GPT2LMHeadModel): learned positions, pre-LayerNorm
 * blocks with biases, tanh GELU MLP of 4 × the width, tied LM head. Tensors under Hugging Face's names
 * without the `transformer.` prefix, linear weights [in, out] (Conv1D), so export is a renaming.
 */
import { UserError } from '../../../../shared/errors'
import { Bump, LayoutBuilder, offsetsByName, type ParamLayout } from '../layout'
import type { ModelConfig } from '../trainer'
import { MATMUL_SCRATCH_BYTES, type Kernels } from '../../kernels/abi'
import type { Architecture, ModelShard, ShardArea } from './architecture'

/** The tensors of a GPT-2 model, in Hugging Face's names and order. The LM head is tied to `wte`. */
function gpt2Layout(config: ModelConfig): ParamLayout {
  const { vocabSize: V, seqLen: T, dModel: C, nLayers: L } = config
  const b = new LayoutBuilder()
  b.add('wte.weight', [V, C], 'normal')
  b.add('wpe.weight', [T, C], 'normal')
  for (let l = 0; l < L; l++) {
    const p = `h.${l}.`
    b.add(`${p}ln_1.weight`, [C], 'ones')
    b.add(`${p}ln_1.bias`, [C], 'zeros')
    b.add(`${p}attn.c_attn.weight`, [C, 3 * C], 'normal')
    b.add(`${p}attn.c_attn.bias`, [3 * C], 'zeros')
    b.add(`${p}attn.c_proj.weight`, [C, C], 'residual-proj')
    b.add(`${p}attn.c_proj.bias`, [C], 'zeros')
    b.add(`${p}ln_2.weight`, [C], 'ones')
    b.add(`${p}ln_2.bias`, [C], 'zeros')
    b.add(`${p}mlp.c_fc.weight`, [C, 4 * C], 'normal')
    b.add(`${p}mlp.c_fc.bias`, [4 * C], 'zeros')
    b.add(`${p}mlp.c_proj.weight`, [4 * C, C], 'residual-proj')
    b.add(`${p}mlp.c_proj.bias`, [C], 'zeros')
  }
  b.add('ln_f.weight', [C], 'ones')
  b.add('ln_f.bias', [C], 'zeros')
  return b.finish(config)
}

/** Parameters of a config without building the layout: V·C + T·C + L·(12C² + 13C) + 2C. */
function gpt2ParamCount(config: ModelConfig): number {
  const { vocabSize: V, seqLen: T, dModel: C, nLayers: L } = config
  return V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C
}

/** Per-layer parameter offsets (floats into the block, or byte pointers), for the forward and backward passes. */
interface LayerParams {
  ln1w: number
  ln1b: number
  qkvw: number
  qkvb: number
  attprojw: number
  attprojb: number
  ln2w: number
  ln2b: number
  fcw: number
  fcb: number
  fcprojw: number
  fcprojb: number
}

/** Byte pointers of one layer's parameters (or of their gradients). */
type LayerPtrs = LayerParams

interface Ptrs {
  wte: number
  wpe: number
  layers: LayerPtrs[]
  lnfw: number
  lnfb: number
}

/** Turns the layout's tensors into byte pointers inside a block starting at `base`. */
function pointers(layout: ParamLayout, base: number): Ptrs {
  const offset = offsetsByName(layout)
  const at = (name: string): number => base + offset(name) * 4
  const layers: LayerPtrs[] = []
  for (let l = 0; l < layout.config.nLayers; l++) {
    const p = `h.${l}.`
    layers.push({
      ln1w: at(`${p}ln_1.weight`), ln1b: at(`${p}ln_1.bias`),
      qkvw: at(`${p}attn.c_attn.weight`), qkvb: at(`${p}attn.c_attn.bias`),
      attprojw: at(`${p}attn.c_proj.weight`), attprojb: at(`${p}attn.c_proj.bias`),
      ln2w: at(`${p}ln_2.weight`), ln2b: at(`${p}ln_2.bias`),
      fcw: at(`${p}mlp.c_fc.weight`), fcb: at(`${p}mlp.c_fc.bias`),
      fcprojw: at(`${p}mlp.c_proj.weight`), fcprojb: at(`${p}mlp.c_proj.bias`),
    })
  }
  return { wte: at('wte.weight'), wpe: at('wpe.weight'), layers, lnfw: at('ln_f.weight'), lnfb: at('ln_f.bias') }
}

/** Byte offsets of one layer's saved activations (what backward needs). */
export interface Gpt2LayerActs {
  ln1: number
  ln1Mean: number
  ln1Rstd: number
  qkv: number
  atty: number
  att: number
  residual2: number
  ln2: number
  ln2Mean: number
  ln2Rstd: number
  fch: number
  fchGelu: number
  residual3: number
}

/** A GPT-2 sphere's area: with `recompute`, all layers share one attention matrix and one GELU output. */
export interface Gpt2ShardArea extends ShardArea {
  encoded: number
  layers: Gpt2LayerActs[]
  lnf: number
  lnfMean: number
  lnfRstd: number
  dresidual: number
  dln: number
  dfch: number
  dfchGelu: number
  dqkv: number
  datty: number
  datt: number
}

function planGpt2Shard(layout: ParamLayout, rows: number, start: number, recompute: boolean): Gpt2ShardArea {
  const { vocabSize: V, seqLen: T, dModel: C, nHeads: NH, nLayers: L } = layout.config
  const N = rows * T
  const bump = new Bump(start)
  const tokens = bump.take(N)
  const targets = bump.take(N)
  const positions = bump.take(N)
  const encoded = bump.take(N * C)
  const sharedAtt = recompute ? bump.take(rows * NH * T * T) : 0
  const sharedFchGelu = recompute ? bump.take(N * 4 * C) : 0
  const layers: Gpt2LayerActs[] = []
  for (let l = 0; l < L; l++) {
    layers.push({
      ln1: bump.take(N * C),
      ln1Mean: bump.take(N),
      ln1Rstd: bump.take(N),
      qkv: bump.take(N * 3 * C),
      atty: bump.take(N * C),
      att: recompute ? sharedAtt : bump.take(rows * NH * T * T),
      residual2: bump.take(N * C),
      ln2: bump.take(N * C),
      ln2Mean: bump.take(N),
      ln2Rstd: bump.take(N),
      fch: bump.take(N * 4 * C),
      fchGelu: recompute ? sharedFchGelu : bump.take(N * 4 * C),
      residual3: bump.take(N * C),
    })
  }
  const lnf = bump.take(N * C)
  const lnfMean = bump.take(N)
  const lnfRstd = bump.take(N)
  const logits = bump.take(N * V)
  const losses = bump.take(N)
  const dresidual = bump.take(N * C)
  const dln = bump.take(N * C)
  const dfch = bump.take(N * 4 * C)
  const dfchGelu = bump.take(N * 4 * C)
  const dqkv = bump.take(N * 3 * C)
  const datty = bump.take(N * C)
  const datt = bump.take(rows * NH * T * T)
  const matmulScratch = bump.take(MATMUL_SCRATCH_BYTES / 4)
  return {
    rows, recompute, tokens, targets, positions, encoded, layers, lnf, lnfMean, lnfRstd, logits, losses,
    dresidual, dln, dfch, dfchGelu, dqkv, datty, datt, matmulScratch, start, bytes: bump.cursor - start,
  }
}

function validateGpt2(config: ModelConfig): void {
  if (config.dModel % config.nHeads !== 0) {
    throw new UserError(
      'invalid-config',
      `--num-heads (${config.nHeads}) must divide --embed-dim (${config.dModel}) evenly.`,
    )
  }
}

export const gpt2: Architecture = {
  name: 'gpt2',
  validate: validateGpt2,
  countParams: gpt2ParamCount,
  layout: gpt2Layout,
  planShard: planGpt2Shard,
  createShard: (k, _memory, layout, area, params, grads) => new GptShard(k, layout, area as Gpt2ShardArea, params, grads),
}

/**
 * The GPT-2 forward and backward passes of one shard (B windows of T tokens), as llm.c's train step:
 * every operation is a kernel call on byte offsets into the shared memory, nothing is allocated.
 * Parameters are read from `params`; gradients are accumulated into `grads` (zeroed by the caller).
 */
export class GptShard implements ModelShard {
  private readonly p: Ptrs
  private readonly g: Ptrs

  constructor(
    private readonly k: Kernels,
    private readonly layout: ParamLayout,
    private readonly area: Gpt2ShardArea,
    params: number,
    grads: number,
  ) {
    this.p = pointers(layout, params)
    this.g = pointers(layout, grads)
  }

  /**
   * Forward over B windows of T tokens (area.tokens). With targets, returns Σ cross-entropy over the
   * B·T positions and leaves probabilities in area.logits; without, returns 0 and leaves only each
   * window's last position's logits there (row b·T + T − 1): generation needs no others.
   */
  forward(B: number, T: number, withTargets: boolean, segmented = false): number {
    const { k, p, area: a } = this
    const { vocabSize: V, dModel: C, nHeads: NH } = this.layout.config
    const N = B * T
    const positions = segmented ? a.positions : 0
    k.encoderForwardAt(a.encoded, a.tokens, positions, p.wte, p.wpe, B, T, C)
    let residual = a.encoded
    for (let l = 0; l < p.layers.length; l++) {
      const w = p.layers[l]
      const s = a.layers[l]
      k.layernormForward(s.ln1, s.ln1Mean, s.ln1Rstd, residual, w.ln1w, w.ln1b, N, C)
      k.matmulNN(s.qkv, s.ln1, w.qkvw, w.qkvb, N, C, 3 * C, 0, a.matmulScratch)
      k.segmentedAttentionForward(s.atty, s.att, s.qkv, positions, B, T, NH, NH, C / NH, a.matmulScratch)
      // residual2 = attention projection + residual, summed in place (no buffer for the projection).
      k.matmulNN(s.residual2, s.atty, w.attprojw, w.attprojb, N, C, C, 0, a.matmulScratch)
      k.accumulate(s.residual2, residual, N * C)
      k.layernormForward(s.ln2, s.ln2Mean, s.ln2Rstd, s.residual2, w.ln2w, w.ln2b, N, C)
      k.matmulNN(s.fch, s.ln2, w.fcw, w.fcb, N, C, 4 * C, 0, a.matmulScratch)
      k.geluForward(s.fchGelu, s.fch, N * 4 * C)
      k.matmulNN(s.residual3, s.fchGelu, w.fcprojw, w.fcprojb, N, 4 * C, C, 0, a.matmulScratch)
      k.accumulate(s.residual3, s.residual2, N * C)
      residual = s.residual3
    }
    k.layernormForward(a.lnf, a.lnfMean, a.lnfRstd, residual, p.lnfw, p.lnfb, N, C)
    // Tied LM head: logits = lnf · wteᵀ.
    if (!withTargets) {
      for (let b = 0; b < B; b++) this.headRow(b * T + T - 1)
      return 0
    }
    k.matmulNT(a.logits, a.lnf, p.wte, N, C, V, 0, a.matmulScratch)
    return k.crossEntropyForward(a.losses, a.logits, a.logits, a.targets, N, V)
  }

  /**
   * Position t of one window (B = 1) whose positions 0…t−1 a previous forward(1, ≥ t, false) or
   * forwardStep left in this area: its keys and values are the cache. Computes only row t (its token
   * is area.tokens[t]) and leaves its logits at row t of area.logits; the same arithmetic as a full
   * forward's row t, so the logits are the same.
   */
  forwardStep(t: number): void {
    const { k, p, area: a } = this
    const { dModel: C, nHeads: NH } = this.layout.config
    const row = (base: number, width: number) => base + t * width * 4
    k.encoderForward(row(a.encoded, C), row(a.tokens, 1), p.wte, row(p.wpe, C), 1, 1, C)
    let residual = a.encoded
    for (let l = 0; l < p.layers.length; l++) {
      const w = p.layers[l]
      const s = a.layers[l]
      k.layernormForward(row(s.ln1, C), row(s.ln1Mean, 1), row(s.ln1Rstd, 1), row(residual, C), w.ln1w, w.ln1b, 1, C)
      k.matmulNN(row(s.qkv, 3 * C), row(s.ln1, C), w.qkvw, w.qkvb, 1, C, 3 * C, 0, a.matmulScratch)
      // The layer's att area is free scratch here (nothing runs backward after generation).
      k.attentionStep(row(s.atty, C), s.att, s.qkv, t, C, NH, a.matmulScratch)
      k.matmulNN(row(s.residual2, C), row(s.atty, C), w.attprojw, w.attprojb, 1, C, C, 0, a.matmulScratch)
      k.accumulate(row(s.residual2, C), row(residual, C), C)
      k.layernormForward(row(s.ln2, C), row(s.ln2Mean, 1), row(s.ln2Rstd, 1), row(s.residual2, C), w.ln2w, w.ln2b, 1, C)
      k.matmulNN(row(s.fch, 4 * C), row(s.ln2, C), w.fcw, w.fcb, 1, C, 4 * C, 0, a.matmulScratch)
      k.geluForward(row(s.fchGelu, 4 * C), row(s.fch, 4 * C), 4 * C)
      k.matmulNN(row(s.residual3, C), row(s.fchGelu, 4 * C), w.fcprojw, w.fcprojb, 1, 4 * C, C, 0, a.matmulScratch)
      k.accumulate(row(s.residual3, C), row(s.residual2, C), C)
      residual = s.residual3
    }
    k.layernormForward(row(a.lnf, C), row(a.lnfMean, 1), row(a.lnfRstd, 1), row(residual, C), p.lnfw, p.lnfb, 1, C)
    this.headRow(t)
  }

  /** Logits of one row: logits[n] = lnf[n] · wteᵀ. */
  private headRow(n: number): void {
    const { k, p, area: a } = this
    const { vocabSize: V, dModel: C } = this.layout.config
    k.matmulNT(a.logits + n * V * 4, a.lnf + n * C * 4, p.wte, 1, C, V, 0, a.matmulScratch)
  }

  /**
   * Backward after forward(B, T, true). `lossScale` is d(objective)/d(loss of one position): 1 / (all
   * positions of the whole batch), so every sphere's gradient is its exact share of the mean's.
   */
  backward(B: number, T: number, lossScale: number, segmented = false): void {
    const { k, p, g, area: a } = this
    const { vocabSize: V, dModel: C, nHeads: NH } = this.layout.config
    const N = B * T
    const positions = segmented ? a.positions : 0
    const L = p.layers.length
    const dres = a.dresidual
    // LM head: probs → dlogits in place, then into wte's gradient and the final LayerNorm.
    k.crossEntropyBackward(a.logits, a.logits, a.targets, N, V, lossScale)
    k.matmulTN(g.wte, a.logits, a.lnf, V, N, C, 1, a.matmulScratch)
    k.matmulNN(a.dln, a.logits, p.wte, 0, N, V, C, 0, a.matmulScratch)
    k.zero(dres, N * C)
    const lastResidual = L > 0 ? a.layers[L - 1].residual3 : a.encoded
    k.layernormBackward(dres, g.lnfw, g.lnfb, a.dln, lastResidual, p.lnfw, a.lnfMean, a.lnfRstd, N, C)
    for (let l = L - 1; l >= 0; l--) {
      const w = p.layers[l]
      const dw = g.layers[l]
      const s = a.layers[l]
      const residual = l === 0 ? a.encoded : a.layers[l - 1].residual3
      // A recomputing plan keeps one attention matrix and GELU output for all layers: rebuild this
      // layer's from its stored inputs (same kernels, same values) before backward reads them.
      if (a.recompute) {
        k.geluForward(s.fchGelu, s.fch, N * 4 * C)
        k.segmentedAttentionForward(s.atty, s.att, s.qkv, positions, B, T, NH, NH, C / NH, a.matmulScratch)
      }
      // dres holds d(residual3): through the MLP's output projection…
      k.biasBackward(dw.fcprojb, dres, N, C)
      k.matmulTN(dw.fcprojw, s.fchGelu, dres, 4 * C, N, C, 1, a.matmulScratch)
      k.matmulNT(a.dfchGelu, dres, w.fcprojw, N, C, 4 * C, 0, a.matmulScratch)
      k.zero(a.dfch, N * 4 * C)
      k.geluBackward(a.dfch, s.fch, a.dfchGelu, N * 4 * C)
      k.biasBackward(dw.fcb, a.dfch, N, 4 * C)
      k.matmulTN(dw.fcw, s.ln2, a.dfch, C, N, 4 * C, 1, a.matmulScratch)
      k.matmulNT(a.dln, a.dfch, w.fcw, N, 4 * C, C, 0, a.matmulScratch)
      // …and ln_2, whose input is residual2: dres becomes d(residual2).
      k.layernormBackward(dres, dw.ln2w, dw.ln2b, a.dln, s.residual2, w.ln2w, s.ln2Mean, s.ln2Rstd, N, C)
      k.biasBackward(dw.attprojb, dres, N, C)
      k.matmulTN(dw.attprojw, s.atty, dres, C, N, C, 1, a.matmulScratch)
      k.matmulNT(a.datty, dres, w.attprojw, N, C, C, 0, a.matmulScratch)
      k.zero(a.dqkv, N * 3 * C)
      k.segmentedAttentionBackward(a.dqkv, a.datt, a.datty, s.qkv, s.att, positions, B, T, NH, NH, C / NH, a.matmulScratch)
      k.biasBackward(dw.qkvb, a.dqkv, N, 3 * C)
      k.matmulTN(dw.qkvw, s.ln1, a.dqkv, C, N, 3 * C, 1, a.matmulScratch)
      k.matmulNT(a.dln, a.dqkv, w.qkvw, N, 3 * C, C, 0, a.matmulScratch)
      // ln_1 reads the layer's input: dres becomes d(input of layer l).
      k.layernormBackward(dres, dw.ln1w, dw.ln1b, a.dln, residual, w.ln1w, s.ln1Mean, s.ln1Rstd, N, C)
    }
    k.encoderBackwardAt(g.wte, g.wpe, dres, a.tokens, positions, B, T, C)
  }
}
