/**
 * The shared control block between the coordinator and the spheres: command words, barrier words,
 * per-sphere statistics. Two SharedArrayBuffers: Int32 words (Atomics) and Float64 values (learning
 * rate, window starts, per-sphere results). Every word that threads wait on gets its own 64-byte line,
 * so a sphere spinning on one does not slow the writer of another.
 */

/** Int32 words per cache line. */
const LINE = 16

/** Commands the coordinator posts (CMD_KIND). */
export const Command = { step: 1, evaluate: 2, logits: 3, exit: 4 } as const
export type CommandKind = (typeof Command)[keyof typeof Command]

/** Live state of a sphere (STATE word), the SphereState names in this order. */
export const SPHERE_STATES = ['idle', 'working', 'reducing', 'waiting'] as const
export const State = { idle: 0, working: 1, reducing: 2, waiting: 3 } as const

/** Test hook: what an armed sphere does at the armed step. */
export const Fault = { none: 0, throw: 1, exit: 2, delay: 3 } as const

/** Int32 word indices (each on its own line). */
export const I = {
  /** Bumped by the coordinator for every command; spheres wait on it. */
  cmdSeq: 0 * LINE,
  cmdKind: 0 * LINE + 1,
  /** Windows in this command (the whole batch, all spheres). */
  cmdRows: 0 * LINE + 2,
  /** Tokens per window (seqLen, or the context length for logits). */
  cmdT: 0 * LINE + 3,
  /** Registered dataset the windows are read from. */
  cmdDataset: 0 * LINE + 4,
  /** The coordinator's step counter (1-based) for the fault hook. */
  cmdStep: 0 * LINE + 5,
  /** logits: the first position to compute; the earlier ones are the previous call's (the key/value cache). */
  cmdFrom: 0 * LINE + 6,
  /** Set by sphere 0 to cmdSeq when every sphere has finished the command; the coordinator waits on it. */
  done: 1 * LINE,
  /** Barrier release epoch, broadcast by sphere 0. */
  release: 2 * LINE,
  faultSphere: 3 * LINE,
  faultStep: 3 * LINE + 1,
  faultKind: 3 * LINE + 2,
  faultArg: 3 * LINE + 3,
} as const
const I_FIXED_LINES = 4

/** Float64 indices. */
export const F = {
  lr: 0,
  /** AdamW t after this step (for bias correction). */
  adamT: 1,
  /** Element offset of the command's token view inside the registered dataset. */
  dataOffset: 2,
  /** 1 when the command's dataset has a loss mask (chat data): only masked-in targets carry loss. */
  masked: 3,
  /** With a mask: the targets carrying loss in the whole batch, whose mean the loss is. */
  lossCount: 4,
  starts: 8,
} as const

/** Per-sphere Float64 slots (a line of 16 doubles each). */
export const S = {
  lossSum: 0,
  sumSquares: 1,
  stepBusyNs: 2,
  stepWaitNs: 3,
  totalBusyNs: 4,
  totalWaitNs: 5,
  totalTokens: 6,
  totalBatches: 7,
  stepTokens: 8,
  stepRows: 9,
  /** The last step's phases (ns): forward + backward, wait for every gradient, reduce, wait for the norm, AdamW. */
  phaseComputeNs: 10,
  phaseGradWaitNs: 11,
  phaseReduceNs: 12,
  phaseNormWaitNs: 13,
  phaseUpdateNs: 14,
  /** Targets of the last command's shard that carried loss (all of them without a mask). */
  stepLossTokens: 15,
} as const
const S_STRIDE = 16

export interface ControlBlock {
  ints: Int32Array
  floats: Float64Array
  threads: number
  /** Capacity of the starts area (windows per command). */
  capacity: number
}

export interface ControlBuffers {
  ints: SharedArrayBuffer
  floats: SharedArrayBuffer
  threads: number
  capacity: number
}

export function createControlBuffers(threads: number, capacity: number): ControlBuffers {
  const ints = new SharedArrayBuffer((I_FIXED_LINES + 2 * threads) * LINE * 4)
  const floats = new SharedArrayBuffer((F.starts + align16(capacity) + threads * S_STRIDE) * 8)
  return { ints, floats, threads, capacity }
}

export function openControl(buffers: ControlBuffers): ControlBlock {
  return {
    ints: new Int32Array(buffers.ints),
    floats: new Float64Array(buffers.floats),
    threads: buffers.threads,
    capacity: buffers.capacity,
  }
}

/** Barrier arrival word of a sphere: the last barrier epoch its whole subtree has reached. */
export function arriveIndex(sphere: number): number {
  return (I_FIXED_LINES + sphere) * LINE
}

/** Live state word of a sphere (State.*). */
export function stateIndex(control: { threads: number }, sphere: number): number {
  return (I_FIXED_LINES + control.threads + sphere) * LINE
}

/** Base Float64 index of a sphere's statistics line; add S.*. */
export function statsIndex(control: { capacity: number }, sphere: number): number {
  return F.starts + align16(control.capacity) + sphere * S_STRIDE
}

function align16(n: number): number {
  return Math.ceil(n / 16) * 16
}

/** The rows [first, first + count) of `rows` windows that sphere `id` of `threads` takes: contiguous, sizes differ by at most one. */
export function shardOf(rows: number, threads: number, id: number): { first: number; count: number } {
  const base = Math.floor(rows / threads)
  const extra = rows % threads
  return { first: id * base + Math.min(id, extra), count: base + (id < extra ? 1 : 0) }
}

/** The contiguous slice [start, end) of `totalFloats` that sphere `id` reduces and updates; 16-float (64-byte) granules. */
export function sliceOf(totalFloats: number, threads: number, id: number): { start: number; end: number } {
  const granules = Math.ceil(totalFloats / 16)
  const at = (k: number): number => Math.min(totalFloats, Math.floor((k * granules) / threads) * 16)
  return { start: at(id), end: at(id + 1) }
}
