/**
 * The contract between the training session and the compute engine (model + sphere pool).
 * The session decides *what* to train on and when (sampler, schedule, checkpoints, events); the
 * trainer does the arithmetic on the sphere pool. Implemented in src/main/engine/spheres/.
 */

import type { ArchitectureName } from '../../../shared/architectures'

export { ARCHITECTURES, type ArchitectureName } from '../../../shared/architectures'

export interface ModelConfig {
  /** Absent: gpt2 (every config written before a second family existed). */
  architecture?: ArchitectureName
  vocabSize: number
  /** Context length: the model's n_positions and the training window. */
  seqLen: number
  dModel: number
  nLayers: number
  /** Query heads; the head size is dModel / nHeads. */
  nHeads: number
  /** Llama: key/value heads (grouped-query attention), dividing nHeads. Absent: nHeads. */
  nKvHeads?: number
  /** Llama: the SwiGLU MLP's intermediate size. Absent: defaultFfnDim(dModel), 8/3 · dModel to a multiple of 4. */
  ffnDim?: number
  /** Llama: RMSNorm epsilon. Absent: 1e-5. */
  normEps?: number
  /** Llama: rotary base θ. Absent: 10000. */
  ropeTheta?: number
  /** Llama: the LM head is the token embedding. Absent: true. */
  tiedEmbeddings?: boolean
  /** Llama: q/k/v projections have biases (Qwen2). Absent: false. */
  qkvBias?: boolean
}

export interface AdamWConfig {
  beta1: number
  beta2: number
  eps: number
  weightDecay: number
  /** Global-norm clipping threshold; 0 disables clipping. */
  gradClip: number
}

/** A named tensor as stored in checkpoints: the architecture's Hugging Face name and shape. */
export interface NamedTensor {
  name: string
  shape: number[]
  data: Float32Array
}

export interface TrainerState {
  /** Optimizer steps taken (AdamW's t). */
  step: number
  params: NamedTensor[]
  /** AdamW first and second moments, same names and shapes as params. */
  adamM: NamedTensor[]
  adamV: NamedTensor[]
}

export type SphereState = 'idle' | 'working' | 'reducing' | 'waiting'

export interface SphereStats {
  id: number
  /** id mod 12: the sphere's symmetry group in the kissing-sphere arrangement. */
  group: number
  /** Parent in the tree; -1 for spheres around the coordinator. */
  parent: number
  state: SphereState
  busyNs: number
  waitNs: number
  /** busy / wall over the reported period, 0..1. */
  utilisation: number
  tokens: number
  batches: number
  /** Mean loss of this sphere's shard in the last step (NaN when it had no rows). */
  loss: number
}

export interface StepResult {
  /** Mean cross-entropy over all tokens of the batch. */
  loss: number
  /** Global L2 norm of the gradient before clipping. */
  gradNorm: number
  tokens: number
  wallMs: number
  spheres: SphereStats[]
  /** Per sphere, where its step went (for profiling; the session ignores it). */
  phases: StepPhases[]
}

/** One sphere's step in phases, nanoseconds: its own work and each wait at a barrier. */
export interface StepPhases {
  /** Zeroing its gradient, forward and backward over its rows. */
  computeNs: number
  /** Waiting until every sphere's gradient is ready. */
  gradWaitNs: number
  /** Summing its slice of the gradient over all spheres, and that slice's sum of squares. */
  reduceNs: number
  /** Waiting until every slice's sum of squares is in (the global norm). */
  normWaitNs: number
  /** AdamW over its slice. */
  updateNs: number
}

export interface Trainer {
  readonly config: ModelConfig
  readonly threads: number
  readonly paramCount: number
  /**
   * One optimizer step on `starts.length` windows of seqLen + 1 tokens taken from `tokens` at the
   * given offsets (inputs = window[0..T), targets = window[1..T]). `lr` is the scheduled rate.
   */
  step(
    tokens: Uint16Array | Uint32Array, starts: ArrayLike<number>, lr: number, mask?: Uint8Array, positions?: Uint16Array,
  ): Promise<StepResult>
  /**
   * Mean loss over the windows, no gradient. With `mask` (chat data: 1 where the token at that
   * position of `tokens` is a target with loss), step and evaluate average over those targets only.
   * With `positions` (packed chat windows: each token's position inside its conversation, restarting
   * at 0 at each), attention stays inside each conversation and positions restart with it.
   */
  evaluate(tokens: Uint16Array | Uint32Array, starts: ArrayLike<number>, mask?: Uint8Array, positions?: Uint16Array): Promise<number>
  /** Next-token logits [vocab] after the context (the last seqLen tokens are used). */
  logits(context: ArrayLike<number>): Promise<Float32Array>
  getState(): TrainerState
  /**
   * getState's copy taken a slice at a time with turns of the event loop between (1.5 GB for GPT-2
   * 124M would hold the process for seconds); steps are refused until it is done.
   */
  snapshotState(): Promise<TrainerState>
  setState(state: TrainerState): void
  /** setState a slice at a time with turns of the event loop between; steps are refused until it is done. */
  restoreState(state: TrainerState): Promise<void>
  close(): Promise<void>
}
