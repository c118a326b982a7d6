/**
 * An architecture is everything that differs between model families, behind one small interface: its
 * config checks, its parameter layout (tensors under Hugging Face's names and shapes), the activation
 * area of one sphere's shard, and forward/backward over the shared kernels. Everything else — the sphere
 * pool, AdamW, checkpoints, the memory plan, init — works on any layout. A new family is a new file here
 * and a line in index.ts.
 */
import type { Kernels } from '../../kernels/abi'
import type { ParamLayout } from '../layout'
import type { ArchitectureName, ModelConfig } from '../trainer'

/**
 * One sphere's private area, byte offsets: what every architecture has (inputs, targets, logits, the
 * matmul scratch); each architecture extends it with its activations and backward scratch.
 */
export interface ShardArea {
  rows: number
  /**
   * false: every layer keeps its attention matrix (and MLP activation) from forward for backward.
   * true: all layers share one of each and backward recomputes a layer's before using them; this is
   * what lets GPT-2 124M at context 1024 train on two spheres in 4 GiB.
   */
  recompute: boolean
  tokens: number
  targets: number
  /**
   * Positions [rows·T] (i32) of a packed command: each row's position inside its segment (conversation),
   * restarting at 0 at each one. Read only by a forward/backward told `segmented`.
   */
  positions: number
  /** Logits [rows·T, V]; cross-entropy turns them into probabilities and backward into their gradient, in place. */
  logits: number
  losses: number
  /** The sphere's matmul scratch (MATMUL_SCRATCH_BYTES): packed copies of the operands of its current matmul. */
  matmulScratch: number
  start: number
  bytes: number
}

/** Forward and backward of one shard (B windows of T tokens) on byte offsets into the shared memory. */
export interface ModelShard {
  /**
   * With targets, returns Σ cross-entropy over the B·T positions and leaves probabilities in
   * area.logits; without, returns 0 and leaves only each window's last position's logits there (row
   * b·T + T − 1): generation needs no others. `segmented`: the windows pack several segments
   * (area.positions holds each row's position in its own); attention stays inside each segment and
   * positions restart, so a packed segment computes what it would alone in its own window.
   */
  forward(B: number, T: number, withTargets: boolean, segmented?: boolean): number
  /**
   * Position t of one window (B = 1) whose positions 0…t−1 a previous forward(1, ≥ t, false) or
   * forwardStep left in the area (the key/value cache): computes row t only and leaves its logits at row
   * t of area.logits, equal to a full forward's row t.
   */
  forwardStep(t: number): void
  /**
   * Backward after forward(B, T, true), adding into the gradient block (zeroed by the caller).
   * `lossScale` is d(objective)/d(loss of one position): 1 / (all positions of the whole batch).
   */
  backward(B: number, T: number, lossScale: number, segmented?: boolean): void
}

export interface Architecture {
  readonly name: ArchitectureName
  /** Refuses a config this family cannot build, naming the field as the CLI spells it. */
  validate(config: ModelConfig): void
  /** Trainable parameters, without building the layout. */
  countParams(config: ModelConfig): number
  layout(config: ModelConfig): ParamLayout
  /** Lays out one sphere's area for `rows` windows starting at byte `start`. */
  planShard(layout: ParamLayout, rows: number, start: number, recompute: boolean): ShardArea
  /**
   * The forward/backward of one shard. `memory` is the shared memory's buffer, for constants the shard
   * writes into its own area once (Llama's rotary table).
   */
  createShard(
    k: Kernels, memory: ArrayBufferLike, layout: ParamLayout, area: ShardArea, params: number, grads: number,
  ): ModelShard
}
