import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads'
import type { Kernels } from '../kernels/abi'
import { architectureOf, type ModelShard } from '../model/architectures'
import type { MemoryPlan } from '../model/memory-plan'
import { adamwStep, applyAdamW } from '../model/adamw-step'
import type { AdamWConfig } from '../model/trainer'
import { Command, F, Fault, I, S, State, openControl, shardOf, sliceOf, stateIndex, statsIndex, type ControlBlock, type ControlBuffers } from './control'
import { TreeBarrier, awaitValue } from './sync'
import type { WasmMemory } from './wasm'

/** What a sphere is given once, at start-up (workerData). */
export interface SphereInit {
  id: number
  threads: number
  plan: MemoryPlan
  adamw: AdamWConfig
  control: ControlBuffers
  /** Where registered token datasets arrive (read synchronously, only when a command names an unknown one). */
  datasets: MessagePort
  spins: number
}

/** A registered dataset as a sphere keeps it. */
interface SphereDataset {
  tokens: Uint16Array | Uint32Array
  mask?: Uint8Array
  positions?: Uint16Array
}

/** A dataset registration posted on the sphere's port before the command that first uses it. */
export interface DatasetMessage {
  id: number
  /** The whole shared token buffer (Uint16Array or Uint32Array over a SharedArrayBuffer). */
  tokens?: Uint16Array | Uint32Array
  /** Chat data: per position of the token view (not the buffer), 1 where that token is a target with loss. */
  mask?: Uint8Array
  /** Packed chat data: per position of the token view, that token's position inside its conversation. */
  positions?: Uint16Array
  /** Ids the coordinator no longer uses. */
  forget?: number[]
}

/** One AdamW segment of this sphere's slice: a run of one tensor, decayed or not. Floats. */
interface Segment {
  offset: number
  length: number
  decay: boolean
}

/**
 * One sphere: waits for a command on the control word, runs its shard, meets the others at the
 * barriers, reduces and updates its slice of the parameters. Synchronous by design: between commands
 * it sleeps in Atomics.wait, never in the event loop, so a step costs no message.
 */
export class Sphere {
  private readonly control: ControlBlock
  private readonly barrier: TreeBarrier
  private readonly shard: ModelShard
  private readonly tokensI32: Int32Array
  private readonly targetsI32: Int32Array
  private readonly positionsI32: Int32Array
  private readonly datasets = new Map<number, SphereDataset>()
  private readonly slice: { start: number; end: number }
  private readonly segments: Segment[]
  private readonly stats: number
  private readonly state: number

  constructor(
    private readonly k: Kernels,
    memory: WasmMemory,
    private readonly init: SphereInit,
  ) {
    const { plan, id, threads } = init
    this.control = openControl(init.control)
    this.barrier = new TreeBarrier(this.control.ints, id, threads, init.spins)
    const area = plan.shards[id]
    this.shard = architectureOf(plan.layout.config).createShard(k, memory.buffer, plan.layout, area, plan.params, plan.grads[id])
    const capacity = area.rows * plan.layout.config.seqLen
    this.tokensI32 = new Int32Array(memory.buffer, area.tokens, capacity)
    this.targetsI32 = new Int32Array(memory.buffer, area.targets, capacity)
    this.positionsI32 = new Int32Array(memory.buffer, area.positions, capacity)
    this.slice = sliceOf(plan.layout.totalFloats, threads, id)
    this.segments = segmentsOf(plan, this.slice)
    this.stats = statsIndex(this.control, id)
    this.state = stateIndex(this.control, id)
  }

  /** Serves commands until told to exit. Throws (ending the worker) on a fault. */
  run(): void {
    const { ints } = this.control
    let seq = 0
    for (;;) {
      awaitValue(ints, I.cmdSeq, (seq = (seq + 1) | 0), this.init.spins)
      const kind = Atomics.load(ints, I.cmdKind)
      if (kind === Command.exit) return
      const t0 = performance.now()
      this.barrier.takeWaitNs()
      if (kind === Command.step) this.step()
      else if (kind === Command.evaluate) this.evaluate()
      else if (kind === Command.logits) this.logits()
      this.setState(State.idle)
      this.record(t0)
      this.barrier.finish(seq)
    }
  }

  private step(): void {
    const { ints, floats } = this.control
    const { plan, threads, id, adamw } = this.init
    const T = plan.layout.config.seqLen
    const rows = Atomics.load(ints, I.cmdRows)
    const { first, count } = shardOf(rows, threads, id)
    this.setState(State.working)
    const t0 = performance.now()
    this.k.zero(plan.grads[id], plan.layout.totalFloats)
    let lossSum = 0
    let lossTokens = 0
    if (count > 0) {
      const { carrying, segmented } = this.loadWindows(first, count, T)
      lossTokens = carrying
      lossSum = this.shard.forward(count, T, true, segmented)
      // The objective is the mean over the batch's targets that carry loss (all of them without a mask).
      const lossCount = floats[F.masked] === 1 ? floats[F.lossCount] : rows * T
      this.shard.backward(count, T, lossCount > 0 ? 1 / lossCount : 0, segmented)
    }
    floats[this.stats + S.lossSum] = lossSum
    floats[this.stats + S.stepLossTokens] = lossTokens
    floats[this.stats + S.stepTokens] = count * T
    floats[this.stats + S.stepRows] = count
    this.faultHook()

    const t1 = performance.now()
    this.setState(State.waiting)
    this.barrier.wait()
    const t2 = performance.now()
    // Reduce-scatter: this sphere owns one slice and sums it over every sphere's gradient in id order,
    // into sphere 0's buffer. The order is fixed, so the result is the same at every run.
    this.setState(State.reducing)
    const { start, end } = this.slice
    const length = end - start
    const g0 = plan.grads[0] + start * 4
    if (length > 0) {
      for (let s = 1; s < threads; s++) this.k.accumulate(g0, plan.grads[s] + start * 4, length)
    }
    floats[this.stats + S.sumSquares] = length > 0 ? this.k.sumSquares(g0, length) : 0

    const t3 = performance.now()
    this.setState(State.waiting)
    this.barrier.wait()
    const t4 = performance.now()
    this.setState(State.reducing)
    let sumSquares = 0
    for (let s = 0; s < threads; s++) sumSquares += floats[statsIndex(this.control, s) + S.sumSquares]
    const norm = Math.sqrt(sumSquares)
    const gradScale = adamw.gradClip > 0 && norm > adamw.gradClip ? adamw.gradClip / (norm + 1e-6) : 1
    const step = adamwStep(adamw, floats[F.lr], floats[F.adamT])
    for (const seg of this.segments) {
      const at = seg.offset * 4
      const where = { params: plan.params + at, grads: plan.grads[0] + at, m: plan.adamM + at, v: plan.adamV + at }
      applyAdamW(this.k, step, where, seg.length, seg.decay, gradScale)
    }
    const base = this.stats
    floats[base + S.phaseComputeNs] = (t1 - t0) * 1e6
    floats[base + S.phaseGradWaitNs] = (t2 - t1) * 1e6
    floats[base + S.phaseReduceNs] = (t3 - t2) * 1e6
    floats[base + S.phaseNormWaitNs] = (t4 - t3) * 1e6
    floats[base + S.phaseUpdateNs] = (performance.now() - t4) * 1e6
  }

  private evaluate(): void {
    const { ints, floats } = this.control
    const { plan, threads, id } = this.init
    const T = plan.layout.config.seqLen
    const { first, count } = shardOf(Atomics.load(ints, I.cmdRows), threads, id)
    this.setState(State.working)
    let lossSum = 0
    let lossTokens = 0
    if (count > 0) {
      const { carrying, segmented } = this.loadWindows(first, count, T)
      lossTokens = carrying
      lossSum = this.shard.forward(count, T, true, segmented)
    }
    floats[this.stats + S.lossSum] = lossSum
    floats[this.stats + S.stepLossTokens] = lossTokens
    floats[this.stats + S.stepTokens] = count * T
    floats[this.stats + S.stepRows] = count
  }

  /**
   * Sphere 0 runs one window of the command's length; the coordinator wrote its tokens already. When
   * only the last position is new, the earlier ones' keys and values are still in the area from the
   * previous logits command: one position is computed.
   */
  private logits(): void {
    const floats = this.control.floats
    floats[this.stats + S.lossSum] = 0
    floats[this.stats + S.stepLossTokens] = 0
    floats[this.stats + S.stepTokens] = 0
    floats[this.stats + S.stepRows] = 0
    if (this.init.id !== 0) return
    this.setState(State.working)
    const T = Atomics.load(this.control.ints, I.cmdT)
    const from = Atomics.load(this.control.ints, I.cmdFrom)
    if (from > 0 && from === T - 1) this.shard.forwardStep(from)
    else this.shard.forward(1, T, false)
  }

  /**
   * Copies this shard's windows from the shared token dataset: inputs window[0..T), targets
   * window[1..T]. With a loss mask, a target without loss becomes −1, which the cross-entropy
   * kernels skip (no loss, zero gradient). Packed chat windows bring their positions too (each token's
   * position in its conversation), for the segmented forward and backward. Returns the targets that
   * carry loss, and whether the windows are packed.
   */
  private loadWindows(first: number, count: number, T: number): { carrying: number; segmented: boolean } {
    const { ints, floats } = this.control
    const { tokens: data, mask, positions } = this.dataset(Atomics.load(ints, I.cmdDataset))
    const offset = floats[F.dataOffset]
    const tokens = this.tokensI32
    const targets = this.targetsI32
    let carrying = 0
    for (let r = 0; r < count; r++) {
      const start = floats[F.starts + first + r]
      const from = offset + start
      const to = r * T
      if (positions) for (let j = 0; j < T; j++) this.positionsI32[to + j] = positions[start + j]
      for (let j = 0; j < T; j++) {
        tokens[to + j] = data[from + j]
        if (mask && mask[start + j + 1] !== 1) {
          targets[to + j] = -1
        } else {
          targets[to + j] = data[from + j + 1]
          carrying++
        }
      }
    }
    return { carrying, segmented: positions !== undefined }
  }

  private dataset(id: number): SphereDataset {
    let data = this.datasets.get(id)
    if (data) return data
    for (let m = receiveMessageOnPort(this.init.datasets); m; m = receiveMessageOnPort(this.init.datasets)) {
      const message = m.message as DatasetMessage
      if (message.tokens) {
        this.datasets.set(message.id, {
          tokens: message.tokens,
          ...(message.mask ? { mask: message.mask } : {}),
          ...(message.positions ? { positions: message.positions } : {}),
        })
      }
      for (const old of message.forget ?? []) this.datasets.delete(old)
    }
    data = this.datasets.get(id)
    if (!data) throw new Error(`token dataset ${id} was never registered with sphere ${this.init.id}`)
    return data
  }

  private setState(state: number): void {
    Atomics.store(this.control.ints, this.state, state)
  }

  private record(t0: number): void {
    const f = this.control.floats
    const base = this.stats
    const waitNs = this.barrier.takeWaitNs()
    const busyNs = Math.max(0, (performance.now() - t0) * 1e6 - waitNs)
    f[base + S.stepBusyNs] = busyNs
    f[base + S.stepWaitNs] = waitNs
    f[base + S.totalBusyNs] += busyNs
    f[base + S.totalWaitNs] += waitNs
    f[base + S.totalTokens] += f[base + S.stepTokens]
    f[base + S.totalBatches] += f[base + S.stepRows] > 0 ? 1 : 0
  }

  /** Test hook: the armed sphere fails (or stalls) at the armed step, after its forward and backward. */
  private faultHook(): void {
    const { ints } = this.control
    if (Atomics.load(ints, I.faultSphere) !== this.init.id) return
    if (Atomics.load(ints, I.faultStep) !== Atomics.load(ints, I.cmdStep)) return
    const kind = Atomics.load(ints, I.faultKind)
    const arg = Atomics.load(ints, I.faultArg)
    if (kind === Fault.throw) throw new Error(`injected fault at step ${Atomics.load(ints, I.cmdStep)}`)
    if (kind === Fault.exit) process.exit(arg || 1)
    if (kind === Fault.delay) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, arg)
  }
}

/** The parts of each tensor inside [slice.start, slice.end), with its weight-decay flag. */
function segmentsOf(plan: MemoryPlan, slice: { start: number; end: number }): Segment[] {
  const segments: Segment[] = []
  for (const tensor of plan.layout.tensors) {
    const start = Math.max(slice.start, tensor.offset)
    const end = Math.min(slice.end, tensor.offset + tensor.size)
    if (end > start) segments.push({ offset: start, length: end - start, decay: tensor.decay })
  }
  return segments
}
