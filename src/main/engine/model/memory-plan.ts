import { MAX_VOCAB_SIZE } from '../tokenizer/types'
import { UserError } from '../../../shared/errors'
import { MATMUL_SCRATCH_BYTES } from '../kernels/abi'
import { alignUp, type ParamLayout } from './layout'

/** Byte offsets of one layer's saved activations (what backward needs). */
export interface LayerActs {
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

/**
 * One sphere's private area: its input tokens and targets, the activations of its shard and the
 * gradient scratch of backward, sized for `rows` windows of seqLen tokens. Byte offsets.
 */
export interface ShardArea {
  rows: number
  /**
   * false: every layer keeps its attention matrix and GELU output from forward for backward.
   * true: all layers share one of each, and backward recomputes a layer's before using them (see
   * ACTIVATIONS below); this is what lets GPT-2 124M at context 1024 train on two spheres in 4 GiB.
   */
  recompute: boolean
  tokens: number
  targets: number
  encoded: number
  layers: LayerActs[]
  lnf: number
  lnfMean: number
  lnfRstd: number
  /** Logits [rows·T, V]; cross-entropy turns them into probabilities and backward into their gradient, in place. */
  logits: number
  losses: number
  dresidual: number
  dln: number
  dfch: number
  dfchGelu: number
  dqkv: number
  datty: number
  datt: number
  /** The sphere's matmul scratch (MATMUL_SCRATCH_BYTES): packed copies of the operands of its current matmul. */
  matmulScratch: number
  start: number
  bytes: number
}

export interface MemoryPlan {
  layout: ParamLayout
  batchSize: number
  threads: number
  /** Windows each sphere is sized for: ceil(batch / threads). */
  rowsPerSphere: number
  /** Bytes at the start of memory left to the kernels module (its static data). */
  reservedBytes: number
  params: number
  adamM: number
  adamV: number
  /** One gradient buffer per sphere, laid out like the parameters; sphere 0's receives the reduced sum. */
  grads: number[]
  shards: ShardArea[]
  totalBytes: number
  /** WebAssembly pages (64 KiB) for totalBytes. */
  pages: number
}

export const WASM_PAGE_BYTES = 65536
/** wasm32 addresses 4 GiB at most. */
export const WASM32_MAX_BYTES = 65536 * WASM_PAGE_BYTES
export const DEFAULT_RESERVED_BYTES = 65536
const F32 = 4
const REGION_ALIGN = 64

/** A bump allocator over byte offsets; every block starts on a 64-byte line. */
class Bump {
  constructor(public cursor: number) {}
  take(floats: number): number {
    const at = this.cursor
    this.cursor = alignUp(at + floats * F32, REGION_ALIGN)
    return at
  }
}

/**
 * How activations are kept for backward. `stored`: all of them (fastest). `recomputed`: one attention
 * matrix and one GELU output shared by all layers, recomputed per layer in backward (an extra
 * attention forward and GELU per layer; the largest per-layer buffers at long contexts). `auto`:
 * stored when that fits a WebAssembly memory, else recomputed.
 */
export type ActivationMode = 'stored' | 'recomputed' | 'auto'

/** Lays out one sphere's area for `rows` windows starting at byte `start`. */
export function planShard(layout: ParamLayout, rows: number, start: number, recompute = false): ShardArea {
  const { vocabSize: V, seqLen: T, dModel: C, nHeads: NH, nLayers: L } = layout.config
  const N = rows * T
  const bump = new Bump(start)
  const tokens = bump.take(N)
  const targets = bump.take(N)
  const encoded = bump.take(N * C)
  const sharedAtt = recompute ? bump.take(rows * NH * T * T) : 0
  const sharedFchGelu = recompute ? bump.take(N * 4 * C) : 0
  const layers: LayerActs[] = []
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
  const matmulScratch = bump.take(MATMUL_SCRATCH_BYTES / F32)
  return {
    rows, recompute, tokens, targets, encoded, layers, lnf, lnfMean, lnfRstd, logits, losses,
    dresidual, dln, dfch, dfchGelu, dqkv, datty, datt, matmulScratch, start, bytes: bump.cursor - start,
  }
}

/**
 * The whole run's memory: reserved kernel area, parameters, AdamW m and v, one gradient buffer per
 * sphere, then each sphere's shard area. Nothing else is allocated during training.
 */
export function planMemory(
  layout: ParamLayout,
  batchSize: number,
  threads: number,
  reservedBytes = DEFAULT_RESERVED_BYTES,
  activations: ActivationMode = 'auto',
): MemoryPlan {
  if (activations === 'auto') {
    const stored = planMemory(layout, batchSize, threads, reservedBytes, 'stored')
    return stored.pages * WASM_PAGE_BYTES <= WASM32_MAX_BYTES
      ? stored
      : planMemory(layout, batchSize, threads, reservedBytes, 'recomputed')
  }
  const rowsPerSphere = Math.ceil(batchSize / threads)
  const bump = new Bump(alignUp(reservedBytes, REGION_ALIGN))
  const P = layout.totalFloats
  const params = bump.take(P)
  const adamM = bump.take(P)
  const adamV = bump.take(P)
  const grads: number[] = []
  for (let s = 0; s < threads; s++) grads.push(bump.take(P))
  const shards: ShardArea[] = []
  for (let s = 0; s < threads; s++) {
    const shard = planShard(layout, rowsPerSphere, bump.cursor, activations === 'recomputed')
    bump.cursor += shard.bytes
    shards.push(shard)
  }
  const totalBytes = bump.cursor
  return {
    layout, batchSize, threads, rowsPerSphere, reservedBytes, params, adamM, adamV, grads, shards,
    totalBytes, pages: Math.ceil(totalBytes / WASM_PAGE_BYTES),
  }
}

/**
 * Refuses a plan that cannot be allocated: beyond the 4 GiB a wasm32 memory addresses, or beyond the
 * share of the machine's memory training may take. The message names the flags that shrink it.
 */
export function assertPlanFits(plan: MemoryPlan, machineBytes: number, machineShare = 0.8): void {
  const limit = Math.min(WASM32_MAX_BYTES, Math.floor(machineBytes * machineShare))
  if (plan.pages * WASM_PAGE_BYTES <= limit) return
  const { seqLen } = plan.layout.config
  const weights = plan.shards.length ? plan.shards[0].start - plan.params : plan.totalBytes
  const activations = plan.totalBytes - weights - plan.reservedBytes
  const what =
    limit === WASM32_MAX_BYTES
      ? `the ${gb(WASM32_MAX_BYTES)} a WebAssembly memory can address`
      : `${Math.round(machineShare * 100)}% of this machine's ${gb(machineBytes)}`
  throw new UserError(
    'invalid-config',
    `The model needs ${gb(plan.totalBytes)} of memory for --batch-size ${plan.batchSize} × --seq-len ${seqLen} ` +
      `on ${plan.threads} thread${plan.threads === 1 ? '' : 's'} (weights, optimizer and gradients ${gb(weights)}, ` +
      `activations ${gb(activations)}), more than ${what}; lower --batch-size or --seq-len ` +
      `(or --embed-dim, --num-layers, --vocab-size, --threads).`,
  )
}

function gb(bytes: number): string {
  return `${(bytes / 1e9).toFixed(bytes < 1e8 ? 2 : 1)} GB`
}

/**
 * Hard bounds on a model's shape, checked on every shape read from a file (checkpoint metadata, a
 * Hugging Face config.json) before anything is laid out or allocated: each field a positive whole
 * number under its bound, and the smallest plan (weights, both AdamW moments and one gradient)
 * within the 4 GiB one WebAssembly memory addresses. GPT-2 124M is well inside.
 */
export const MODEL_SHAPE_BOUNDS = {
  vocabSize: MAX_VOCAB_SIZE,
  seqLen: 1 << 16,
  dModel: 1 << 14,
  nLayers: 1 << 10,
  nHeads: 1 << 10,
} as const

/** What is wrong with a shape read from a file, or undefined when it can be planned. Allocates nothing. */
export function modelShapeProblem(config: Record<keyof typeof MODEL_SHAPE_BOUNDS, unknown>): string | undefined {
  for (const [field, bound] of Object.entries(MODEL_SHAPE_BOUNDS) as Array<[keyof typeof MODEL_SHAPE_BOUNDS, number]>) {
    const value = config[field]
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
      return `${field} ${JSON.stringify(value)} is not a positive whole number`
    if (value > bound) return `${field} ${value} is above the largest CLLM builds (${bound})`
  }
  const shape = config as Record<keyof typeof MODEL_SHAPE_BOUNDS, number>
  if (shape.dModel % shape.nHeads !== 0) return `nHeads ${shape.nHeads} does not divide dModel ${shape.dModel}`
  const { vocabSize: V, seqLen: T, dModel: C, nLayers: L } = shape
  const params = V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C
  const leastBytes = params * 4 * 4
  if (leastBytes > WASM32_MAX_BYTES) {
    return `a model of this shape has ${params.toLocaleString('en-US')} parameters and needs at least ${(leastBytes / 2 ** 30).toFixed(1)} GiB for its weights, AdamW moments and one gradient, more than the 4 GiB one WebAssembly memory addresses`
  }
  return undefined
}
