/**
 * The kernel ABI: what the model asks of its compute kernels. Every pointer is a byte offset into
 * the run's one shared WebAssembly.Memory, pointing at f32 data (tokens and targets: i32), 16-byte
 * aligned. Matrices are row-major. Kernels allocate nothing; the TypeScript side lays out memory.
 *
 * Two implementations share this interface: the WebAssembly SIMD kernels (what training runs) and a
 * plain-TypeScript reference (tests only).
 *
 * The kernels know no architecture: GPT-2 stores its linear weights [in, out] like Hugging Face's Conv1D
 * (matmulNN), Llama [out, in] like nn.Linear (matmulNT), so export is a renaming either way. The tied LM
 * head reads the embedding [V, C] transposed (matmulNT).
 */
/**
 * Bytes of scratch a matmul may use (packed copies of its operands; see assembly/matmul-packed.ts). Each
 * sphere owns one such region (model/memory-plan.ts); a matmul given 0 runs unpacked, slower on large
 * shapes but needing nothing.
 */
export const MATMUL_SCRATCH_BYTES = 589_952

export interface Kernels {
  /**
   * out[M,N] = a[M,K] · b[K,N] (+ bias[N] when bias ≠ 0) (+ out when accumulate ≠ 0). scratch: 0, or
   * MATMUL_SCRATCH_BYTES that no other thread uses meanwhile (the three matmuls likewise).
   */
  matmulNN(
    out: number, a: number, b: number, bias: number, M: number, K: number, N: number, accumulate: number, scratch: number,
  ): void
  /** out[M,N] = a[M,K] · b[N,K]ᵀ (+ out when accumulate ≠ 0). */
  matmulNT(out: number, a: number, b: number, M: number, K: number, N: number, accumulate: number, scratch: number): void
  /** out[M,N] = a[K,M]ᵀ · b[K,N] (+ out when accumulate ≠ 0). */
  matmulTN(out: number, a: number, b: number, M: number, K: number, N: number, accumulate: number, scratch: number): void
  /** dbias[N] += Σ_m dout[m,N]. */
  biasBackward(dbias: number, dout: number, M: number, N: number): void
  /** out[m,N] += bias[N] for every row m. */
  biasForward(out: number, bias: number, M: number, N: number): void

  /** out[b,t,:] = wte[tokens[b,t],:] + wpe[t,:]. tokens: i32[B*T]. */
  encoderForward(out: number, tokens: number, wte: number, wpe: number, B: number, T: number, C: number): void
  /** dwte[tokens[b,t],:] += dout[b,t,:]; dwpe[t,:] += dout[b,t,:]. */
  encoderBackward(dwte: number, dwpe: number, dout: number, tokens: number, B: number, T: number, C: number): void
  /**
   * encoderForward/Backward with row b·T + t at position positions[b·T + t] (i32[B*T]) instead of t:
   * packed windows, where positions restart at each segment. positions = 0: the plain kernels exactly.
   */
  encoderForwardAt(
    out: number, tokens: number, positions: number, wte: number, wpe: number, B: number, T: number, C: number,
  ): void
  encoderBackwardAt(
    dwte: number, dwpe: number, dout: number, tokens: number, positions: number, B: number, T: number, C: number,
  ): void

  /** out[n,:] = wte[tokens[n],:] (Llama: no learned positions). tokens: i32[N]. */
  embeddingForward(out: number, tokens: number, wte: number, N: number, C: number): void
  /** dwte[tokens[n],:] += dout[n,:]. */
  embeddingBackward(dwte: number, dout: number, tokens: number, N: number, C: number): void

  /** Row-wise LayerNorm over C (eps 1e-5); saves mean[N] and rstd[N] for backward. */
  layernormForward(out: number, mean: number, rstd: number, inp: number, weight: number, bias: number, N: number, C: number): void
  /** dinp += …; dweight += …; dbias += …. */
  layernormBackward(
    dinp: number, dweight: number, dbias: number, dout: number, inp: number, weight: number,
    mean: number, rstd: number, N: number, C: number,
  ): void

  /** Row-wise RMSNorm over C: out = weight · x · rstd, rstd = 1/√(mean(x²) + eps), saved in rstd[N]. */
  rmsnormForward(out: number, rstd: number, inp: number, weight: number, N: number, C: number, eps: number): void
  /** dinp += …; dweight += …. */
  rmsnormBackward(
    dinp: number, dweight: number, dout: number, inp: number, weight: number, rstd: number, N: number, C: number,
  ): void

  /**
   * Rotary position embedding in place, Hugging Face's rotate_half pairing (i with i + hs/2), on `heads`
   * consecutive heads of hs floats in each of B·T rows ld floats apart; row b·T + t is at position t and
   * reads table row t (hs floats: hs/2 cosines, then hs/2 sines). inverse ≠ 0 rotates back (backward).
   */
  rope(x: number, table: number, B: number, T: number, ld: number, heads: number, hs: number, inverse: number): void
  /** rope with row b·T + t at position positions[b·T + t] (i32[B*T]); positions = 0: rope exactly. */
  ropeAt(
    x: number, table: number, positions: number, B: number, T: number, ld: number, heads: number, hs: number,
    inverse: number,
  ): void

  /** SwiGLU: out[N,I] = silu(gu[:, 0..I)) · gu[:, I..2I) (gate | up in one row of 2I). */
  swigluForward(out: number, gu: number, N: number, I: number): void
  /** dgu += … (both halves). */
  swigluBackward(dgu: number, gu: number, dout: number, N: number, I: number): void

  /** GELU, tanh approximation (Hugging Face "gelu_new"). */
  geluForward(out: number, inp: number, n: number): void
  /** dinp += gelu'(inp) · dout. */
  geluBackward(dinp: number, inp: number, dout: number, n: number): void

  /**
   * Causal multi-head self-attention. qkv[B,T,3C] (q | k | v, heads of size C/NH inside each),
   * att[B,NH,T,T] keeps the softmax probabilities for backward, out[B,T,C] the heads concatenated.
   * The three attention kernels run on the packed GEMM: their scratch (MATMUL_SCRATCH_BYTES) is required.
   */
  attentionForward(out: number, att: number, qkv: number, B: number, T: number, C: number, NH: number, scratch: number): void
  /**
   * attentionForward's position t of one window alone (generation with a key/value cache): qkv[0..t]
   * are that window's rows, out[C] receives position t, att is scratch of NH·(t+1) floats. Identical
   * results to attentionForward's row t.
   */
  attentionStep(out: number, att: number, qkv: number, t: number, C: number, NH: number, scratch: number): void
  /** dqkv += …; datt is scratch of the size of att (overwritten). */
  attentionBackward(
    dqkv: number, datt: number, dout: number, qkv: number, att: number, B: number, T: number, C: number, NH: number,
    scratch: number,
  ): void

  /**
   * Grouped-query attention: qkv[B,T,(NH + 2·NKV)·hs] is NH query heads | NKV key heads | NKV value heads,
   * query head h attends with key/value head h / (NH/NKV); out[B,T,NH·hs], att[B,NH,T,T]. With NKV = NH
   * and hs = C/NH these are attentionForward/Step/Backward exactly. Backward adds each query head's dK
   * and dV into its key/value head's columns.
   */
  groupedAttentionForward(
    out: number, att: number, qkv: number, B: number, T: number, NH: number, NKV: number, hs: number, scratch: number,
  ): void
  groupedAttentionStep(
    out: number, att: number, qkv: number, t: number, NH: number, NKV: number, hs: number, scratch: number,
  ): void
  groupedAttentionBackward(
    dqkv: number, datt: number, dout: number, qkv: number, att: number, B: number, T: number, NH: number, NKV: number,
    hs: number, scratch: number,
  ): void
  /**
   * Grouped attention over packed windows: positions[b·T + t] (i32[B*T]) is row t's position inside its
   * segment (segments are runs of consecutive rows; positions restart at 0 at each one), and row t
   * attends to keys t − positions[b·T + t] … t only: a block-diagonal causal mask, so nothing crosses
   * segments. att and datt are zero outside each row's segment. positions = 0: groupedAttentionForward
   * and groupedAttentionBackward exactly.
   */
  segmentedAttentionForward(
    out: number, att: number, qkv: number, positions: number, B: number, T: number, NH: number, NKV: number, hs: number,
    scratch: number,
  ): void
  segmentedAttentionBackward(
    dqkv: number, datt: number, dout: number, qkv: number, att: number, positions: number, B: number, T: number,
    NH: number, NKV: number, hs: number, scratch: number,
  ): void

  /**
   * Softmax + cross-entropy fused. logits[N,V] → probs[N,V] (may alias logits); losses[N] = −log p(target).
   * Rows whose target is negative are ignored (loss 0). Returns Σ losses (f64 precision).
   */
  crossEntropyForward(losses: number, probs: number, logits: number, targets: number, N: number, V: number): number
  /** dlogits[N,V] = (probs − onehot(target)) · scale (overwrites; may alias probs). Ignored rows get 0. */
  crossEntropyBackward(dlogits: number, probs: number, targets: number, N: number, V: number, scale: number): void

  /** out[i] = a[i] + b[i] (out may alias a or b). */
  add(out: number, a: number, b: number, n: number): void
  /** out[i] += a[i]. */
  accumulate(out: number, a: number, n: number): void
  /** x[i] *= s. */
  scale(x: number, n: number, s: number): void
  /** Σ x[i]², accumulated in f64. */
  sumSquares(x: number, n: number): number
  /** x[i] = 0. */
  zero(x: number, n: number): void

  /**
   * One AdamW update of n parameters, in torch.optim.AdamW's order (see assembly/adamw.ts). The host
   * computes every derived scalar in f64 (model/adamw-step.ts): oneMinusBeta1/2 = 1 − β1/2,
   * decayFactor = 1 − lr·weightDecay (1 for biases and LayerNorm), stepSize = lr / (1 − β1^t),
   * sqrtBiasCorrection2 = √(1 − β2^t). gradScale multiplies the gradient first (clipping).
   */
  adamw(
    params: number, grads: number, m: number, v: number, n: number, beta1: number, oneMinusBeta1: number,
    beta2: number, oneMinusBeta2: number, eps: number, decayFactor: number, stepSize: number,
    sqrtBiasCorrection2: number, gradScale: number,
  ): void
}

export type KernelName = keyof Kernels
