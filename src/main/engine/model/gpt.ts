import type { Kernels } from '../kernels/abi'
import type { LayerParams, ParamLayout } from './layout'
import type { ShardArea } from './memory-plan'

/** Byte pointers of one layer's parameters (or of their gradients). */
type LayerPtrs = LayerParams

interface Ptrs {
  wte: number
  wpe: number
  layers: LayerPtrs[]
  lnfw: number
  lnfb: number
}

/** Turns the layout's float offsets into byte pointers inside a block starting at `base`. */
function pointers(layout: ParamLayout, base: number): Ptrs {
  const at = (offset: number): number => base + offset * 4
  return {
    wte: at(layout.wte),
    wpe: at(layout.wpe),
    layers: layout.layers.map((l) => ({
      ln1w: at(l.ln1w), ln1b: at(l.ln1b), qkvw: at(l.qkvw), qkvb: at(l.qkvb),
      attprojw: at(l.attprojw), attprojb: at(l.attprojb), ln2w: at(l.ln2w), ln2b: at(l.ln2b),
      fcw: at(l.fcw), fcb: at(l.fcb), fcprojw: at(l.fcprojw), fcprojb: at(l.fcprojb),
    })),
    lnfw: at(layout.lnfw),
    lnfb: at(layout.lnfb),
  }
}

/**
 * The GPT-2 forward and backward passes of one shard (B windows of T tokens), as llm.c's train step:
 * every operation is a kernel call on byte offsets into the shared memory, nothing is allocated.
 * Parameters are read from `params`; gradients are accumulated into `grads` (zeroed by the caller).
 */
export class GptShard {
  private readonly p: Ptrs
  private readonly g: Ptrs

  constructor(
    private readonly k: Kernels,
    private readonly layout: ParamLayout,
    private readonly area: ShardArea,
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
  forward(B: number, T: number, withTargets: boolean): number {
    const { k, p, area: a } = this
    const { vocabSize: V, dModel: C, nHeads: NH } = this.layout.config
    const N = B * T
    k.encoderForward(a.encoded, a.tokens, p.wte, p.wpe, B, T, C)
    let residual = a.encoded
    for (let l = 0; l < p.layers.length; l++) {
      const w = p.layers[l]
      const s = a.layers[l]
      k.layernormForward(s.ln1, s.ln1Mean, s.ln1Rstd, residual, w.ln1w, w.ln1b, N, C)
      k.matmulNN(s.qkv, s.ln1, w.qkvw, w.qkvb, N, C, 3 * C, 0, a.matmulScratch)
      k.attentionForward(s.atty, s.att, s.qkv, B, T, C, NH, a.matmulScratch)
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
  backward(B: number, T: number, lossScale: number): void {
    const { k, p, g, area: a } = this
    const { vocabSize: V, dModel: C, nHeads: NH } = this.layout.config
    const N = B * T
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
        k.attentionForward(s.atty, s.att, s.qkv, B, T, C, NH, a.matmulScratch)
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
      k.attentionBackward(a.dqkv, a.datt, a.datty, s.qkv, s.att, B, T, C, NH, a.matmulScratch)
      k.biasBackward(dw.qkvb, a.dqkv, N, 3 * C)
      k.matmulTN(dw.qkvw, s.ln1, a.dqkv, C, N, 3 * C, 1, a.matmulScratch)
      k.matmulNT(a.dln, a.dqkv, w.qkvw, N, 3 * C, C, 0, a.matmulScratch)
      // ln_1 reads the layer's input: dres becomes d(input of layer l).
      k.layernormBackward(dres, dw.ln1w, dw.ln1b, a.dln, residual, w.ln1w, s.ln1Mean, s.ln1Rstd, N, C)
    }
    k.encoderBackward(g.wte, g.wpe, dres, a.tokens, B, T, C)
  }
}
