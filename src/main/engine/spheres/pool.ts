/**
 * The sphere pool: the coordinator side of data-parallel training (the main thread only coordinates).
 *
 * One step, with no message and no copy of parameters or gradients:
 *  1. The coordinator writes the step (window starts, lr, AdamW t) into the control block, bumps the
 *     command word and notifies; then waits for DONE with Atomics.waitAsync (the event loop stays free).
 *  2. Each sphere copies its shard's windows (contiguous rows, sizes differing by at most one) from the
 *     shared token buffer, zeroes its own gradient buffer, runs forward and backward with the loss scaled
 *     by 1 / (all tokens of the batch), so uneven shards weigh exactly their share.
 *  3. Barrier. Each sphere sums one contiguous 64-byte-aligned slice of the gradient over every sphere's
 *     buffer in id order (into sphere 0's buffer: deterministic) and its slice's sum of squares.
 *  4. Barrier. Every sphere adds the sums of squares in id order (the same global norm everywhere), derives
 *     the clipping scale and applies AdamW to its slice (no weight decay on biases and LayerNorm).
 *  5. Final barrier: sphere 0 sets DONE. Barriers spin briefly, then Atomics.wait; their arrival follows
 *     the kissing-sphere tree (topology.ts, sync.ts).
 *
 * Threads beyond the batch's rows: those spheres get no rows, stay idle through forward and backward
 * (reported with 0 tokens and a NaN loss) and still reduce and update their slice. A sphere that throws
 * or whose thread exits fails the pending call with a SphereFault naming it; every thread is then
 * terminated and the pool stays failed (create a new one). close() during a step cancels it.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir, totalmem } from 'node:os'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads'
import { UserError } from '../../../shared/errors'
import { validateAdamW, validateModelConfig, validateRun } from '../model/config'
import { initParamsYielding } from '../model/init'
import { createParamLayout } from '../model/architectures'
import type { ParamLayout } from '../model/layout'
import { assertPlanFits, planMemory, type MemoryPlan } from '../model/memory-plan'
import type {
  AdamWConfig, ModelConfig, NamedTensor, SphereStats, StepPhases, StepResult, Trainer, TrainerState,
} from '../model/trainer'
import {
  Command, F, Fault, I, S, SPHERE_STATES, createControlBuffers, openControl, stateIndex, statsIndex,
  type CommandKind, type ControlBlock, type ControlBuffers,
} from './control'
import { loadKernelSource, type KernelSource } from './kernel-source'
import type { DatasetMessage, SphereInit } from './sphere'
import { DEFAULT_SPINS } from './sync'
import { builtFileNear } from '../unpacked-path'
import { sphereParent } from './topology'
import { wasm, waitAsync, type WasmMemory } from './wasm'

export interface FaultInjection {
  /** The sphere that misbehaves. */
  sphere: number
  /** The step (1-based, counted by this trainer) at which it does, after its forward and backward. */
  step: number
  /** throw an Error, exit the thread, or stall for `ms` milliseconds. */
  kind: 'throw' | 'exit' | 'delay'
  ms?: number
}

export interface CreateTrainerOptions {
  model: ModelConfig
  adamw: AdamWConfig
  /** Windows per step. Threads beyond it get no rows and stay idle in forward/backward (they still reduce and update their slice). */
  batchSize: number
  threads: number
  /** Seeds the GPT-2 initialisation. */
  seed: number
  /** 'wasm' (default): the SIMD kernels; 'reference': the plain-TS kernels, for tests. */
  kernels?: 'wasm' | 'reference'
  /** Test hook: make one sphere fail at a given step. */
  fault?: FaultInjection
  /** Polls before a sphere sleeps in a wait (default 4096; fewer when threads outnumber cores). */
  spins?: number
  /** The machine memory the plan is checked against (default: os.totalmem()). */
  machineMemoryBytes?: number
  /**
   * logits() on a context one token longer than the last one computes that token's position only,
   * from the keys and values left by the last call (default true; false recomputes the whole window).
   */
  kvCache?: boolean
}

/** A sphere failed: thrown from the pending step (and every later call) with the sphere's id. */
export class SphereFault extends UserError {
  constructor(
    readonly sphereId: number,
    readonly reason: string,
  ) {
    super('internal', `Sphere ${sphereId} failed: ${reason}`)
    this.name = 'SphereFault'
  }
}

/** Datasets the spheres keep registered at once; older ones are forgotten. */
const MAX_DATASETS = 4

interface Registered {
  id: number
  view: Uint16Array | Uint32Array
  /** The mask it was registered with (the caller's array), if any. */
  mask?: Uint8Array
  /** The positions it was registered with (the caller's array), if any. */
  positions?: Uint16Array
}

type TokenArray = Uint16Array | Uint32Array

/**
 * Builds the model and its sphere pool: validates the config, plans and checks the memory, creates the
 * one shared WebAssembly.Memory, initialises the weights (GPT-2 init from `seed`), compiles the kernels
 * once and starts `threads` sphere workers on that memory. Resolves when every sphere is ready.
 */
export async function createTrainer(options: CreateTrainerOptions): Promise<Trainer & SpherePoolExtras> {
  validateModelConfig(options.model)
  validateAdamW(options.adamw)
  validateRun(options.batchSize, options.threads)
  if (!Number.isSafeInteger(options.seed)) {
    throw new UserError('invalid-config', `--seed must be a whole number, got ${options.seed}.`)
  }
  const layout = createParamLayout(options.model)
  const plan = planMemory(layout, options.batchSize, options.threads)
  assertPlanFits(plan, options.machineMemoryBytes ?? totalmem())
  let memory: WasmMemory
  try {
    memory = new wasm.Memory({ initial: plan.pages, maximum: plan.pages, shared: true })
  } catch (error) {
    throw new UserError(
      'invalid-config',
      `Could not reserve ${(plan.totalBytes / 1e9).toFixed(2)} GB for the model (${(error as Error).message}); ` +
        'lower --batch-size, --seq-len or the model size.',
    )
  }
  await initParamsYielding(new Float32Array(memory.buffer, plan.params, layout.totalFloats), layout, options.seed)
  const source = await loadKernelSource(options.kernels ?? 'wasm')
  const pool = new SpherePool(options, layout, plan, memory, source)
  await pool.start()
  return pool
}

/** Floats copied between two turns of the event loop in snapshotState and restoreState (2 MB, a millisecond or two). */
const SNAPSHOT_SLICE_FLOATS = 1 << 19

/** What the pool offers beyond the Trainer interface. */
export interface SpherePoolExtras {
  /** Cumulative statistics since creation, with each sphere's live state. */
  sphereTotals(): SphereStats[]
  /** Worker threads not yet exited (0 after close or a fault). */
  readonly liveThreads: number
  readonly plan: MemoryPlan
}

class SpherePool implements Trainer, SpherePoolExtras {
  readonly config: ModelConfig
  readonly threads: number
  readonly paramCount: number
  private readonly control: ControlBlock
  private readonly buffers: ControlBuffers
  private readonly workers: Worker[] = []
  private readonly ports: MessagePort[] = []
  private readonly exited: boolean[] = []
  private readonly registry = new Map<object, Registered>()
  private nextDatasetId = 1
  private seq = 0
  private stepCount = 0
  private busy = false
  private closed = false
  private failure: Error | null = null
  private terminating: Promise<void> | null = null
  private readonly f32: Float32Array
  private totalWallNs = 0
  /** The window whose keys and values sit in sphere 0's area (the last logits call's), or null when a step, an evaluation or new weights overwrote or outdated them. */
  private cachedWindow: number[] | null = null

  constructor(
    private readonly options: CreateTrainerOptions,
    private readonly layout: ParamLayout,
    readonly plan: MemoryPlan,
    private readonly memory: WasmMemory,
    private readonly source: KernelSource,
  ) {
    this.config = { ...options.model }
    this.threads = options.threads
    this.paramCount = layout.paramCount
    this.buffers = createControlBuffers(options.threads, plan.rowsPerSphere * options.threads)
    this.control = openControl(this.buffers)
    this.f32 = new Float32Array(memory.buffer)
    const { ints } = this.control
    ints[I.faultSphere] = -1
    if (options.fault) {
      ints[I.faultSphere] = options.fault.sphere
      ints[I.faultStep] = options.fault.step
      ints[I.faultKind] = Fault[options.fault.kind]
      ints[I.faultArg] = options.fault.ms ?? 0
    }
  }

  get liveThreads(): number {
    return this.exited.filter((gone) => !gone).length
  }

  async start(): Promise<void> {
    const entry = await sphereWorkerEntry()
    const cores = availableParallelism()
    const spins = this.options.spins ?? (this.threads >= cores ? 256 : DEFAULT_SPINS)
    const ready: Promise<void>[] = []
    for (let id = 0; id < this.threads; id++) {
      const channel = new MessageChannel()
      const init: SphereInit & { memory: WasmMemory; kernels: KernelSource } = {
        id, threads: this.threads, plan: this.plan, adamw: { ...this.options.adamw }, control: this.buffers,
        datasets: channel.port2, spins, memory: this.memory, kernels: this.source,
      }
      const worker = new Worker(entry, { workerData: init, transferList: [channel.port2] })
      this.workers.push(worker)
      this.ports.push(channel.port1)
      this.exited.push(false)
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve())
          worker.once('error', reject)
          worker.once('exit', (code) => reject(new Error(`exited with code ${code} while starting`)))
        }).catch((error: Error) => {
          throw new SphereFault(id, error.message)
        }),
      )
      worker.on('error', (error) => this.fail(id, error.message))
      worker.on('exit', (code) => {
        this.exited[id] = true
        if (!this.closed) this.fail(id, `its thread exited with code ${code}`)
      })
    }
    try {
      await Promise.all(ready)
    } catch (error) {
      this.fail((error as SphereFault).sphereId ?? 0, (error as SphereFault).reason ?? String(error))
      await this.terminating
      throw this.failure
    }
    this.holdProcess(false)
  }

  async step(
    tokens: TokenArray, starts: ArrayLike<number>, lr: number, mask?: Uint8Array, positions?: Uint16Array,
  ): Promise<StepResult> {
    this.enter()
    try {
      const T = this.config.seqLen
      const rows = starts.length
      if (rows < 1 || rows > this.options.batchSize) {
        throw new UserError('invalid-input', `A step takes 1 to ${this.options.batchSize} windows (--batch-size), got ${rows}.`)
      }
      if (!Number.isFinite(lr) || lr < 0) {
        throw new UserError('invalid-input', `The learning rate must be a finite number ≥ 0, got ${lr}.`)
      }
      const { floats, ints } = this.control
      this.cachedWindow = null
      this.loadStarts(tokens, starts, 0, rows, mask, positions)
      floats[F.lr] = lr
      floats[F.adamT] = this.stepCount + 1
      ints[I.cmdStep] = this.stepCount + 1
      const wallNs = await this.run(Command.step, rows, T)
      this.stepCount++
      let lossSum = 0
      let lossTokens = 0
      let sumSquares = 0
      for (let s = 0; s < this.threads; s++) {
        lossSum += floats[statsIndex(this.control, s) + S.lossSum]
        lossTokens += floats[statsIndex(this.control, s) + S.stepLossTokens]
        sumSquares += floats[statsIndex(this.control, s) + S.sumSquares]
      }
      return {
        loss: lossTokens > 0 ? lossSum / lossTokens : NaN,
        gradNorm: Math.sqrt(sumSquares),
        tokens: rows * T,
        wallMs: wallNs / 1e6,
        spheres: this.stepStats(wallNs),
        phases: this.stepPhases(),
      }
    } finally {
      this.busy = false
    }
  }

  async evaluate(tokens: TokenArray, starts: ArrayLike<number>, mask?: Uint8Array, positions?: Uint16Array): Promise<number> {
    this.enter()
    try {
      if (starts.length < 1) throw new UserError('invalid-input', 'There are no windows to evaluate.')
      const T = this.config.seqLen
      const capacity = this.control.capacity
      this.cachedWindow = null
      let lossSum = 0
      let lossTokens = 0
      for (let from = 0; from < starts.length; from += capacity) {
        const rows = Math.min(capacity, starts.length - from)
        this.loadStarts(tokens, starts, from, rows, mask, positions)
        await this.run(Command.evaluate, rows, T)
        for (let s = 0; s < this.threads; s++) {
          lossSum += this.control.floats[statsIndex(this.control, s) + S.lossSum]
          lossTokens += this.control.floats[statsIndex(this.control, s) + S.stepLossTokens]
        }
      }
      return lossTokens > 0 ? lossSum / lossTokens : NaN
    } finally {
      this.busy = false
    }
  }

  async logits(context: ArrayLike<number>): Promise<Float32Array> {
    this.enter()
    try {
      const { seqLen: T, vocabSize: V } = this.config
      if (context.length < 1) throw new UserError('invalid-input', 'The context must hold at least one token.')
      const length = Math.min(T, context.length)
      const shard = this.plan.shards[0]
      const tokens = new Int32Array(this.memory.buffer, shard.tokens, length)
      const window: number[] = []
      for (let j = 0; j < length; j++) {
        const token = context[context.length - length + j]
        if (!Number.isInteger(token) || token < 0 || token >= V) {
          throw new UserError('invalid-input', `Token id ${token} is outside the vocabulary (0 to ${V - 1}).`)
        }
        window.push(token)
      }
      // A window whose tokens before its last are a prefix of the cached one costs one position (with
      // causal attention, the cached keys and values of those positions do not depend on what came
      // after them): the next token of a generation, or a chat's next turn after a shared prefix.
      // Any other (a new prompt, or a context past seqLen, where every position shifts) is computed whole.
      const cached = this.cachedWindow
      const extends1 =
        cached !== null && this.options.kvCache !== false && length > 1 && cached.length >= length - 1 &&
        window.every((t, j) => j === length - 1 || t === cached[j])
      this.cachedWindow = null
      for (let j = extends1 ? length - 1 : 0; j < length; j++) tokens[j] = window[j]
      this.control.ints[I.cmdFrom] = extends1 ? length - 1 : 0
      await this.run(Command.logits, 1, length)
      this.cachedWindow = window
      const row = shard.logits / 4 + (length - 1) * V
      return this.f32.slice(row, row + V)
    } finally {
      this.busy = false
    }
  }

  getState(): TrainerState {
    this.assertIdle('read the trainer state')
    const copy = (base: number): NamedTensor[] =>
      this.layout.tensors.map((t) => {
        const from = base / 4 + t.offset
        return { name: t.name, shape: [...t.shape], data: this.f32.slice(from, from + t.size) }
      })
    return {
      step: this.stepCount,
      params: copy(this.plan.params),
      adamM: copy(this.plan.adamM),
      adamV: copy(this.plan.adamV),
    }
  }

  async snapshotState(): Promise<TrainerState> {
    this.enter()
    try {
      const copy = async (base: number): Promise<NamedTensor[]> => {
        const tensors: NamedTensor[] = []
        for (const t of this.layout.tensors) {
          const from = base / 4 + t.offset
          const data = new Float32Array(t.size)
          for (let at = 0; at < t.size; at += SNAPSHOT_SLICE_FLOATS) {
            data.set(this.f32.subarray(from + at, from + Math.min(t.size, at + SNAPSHOT_SLICE_FLOATS)), at)
            await yieldToLoop()
          }
          tensors.push({ name: t.name, shape: [...t.shape], data })
        }
        return tensors
      }
      return {
        step: this.stepCount,
        params: await copy(this.plan.params),
        adamM: await copy(this.plan.adamM),
        adamV: await copy(this.plan.adamV),
      }
    } finally {
      this.busy = false
    }
  }

  setState(state: TrainerState): void {
    this.assertIdle('load a trainer state')
    for (const _ of this.copyIn(state)) {
      // Runs to completion.
    }
  }

  async restoreState(state: TrainerState): Promise<void> {
    this.enter()
    try {
      for (const _ of this.copyIn(state)) await yieldToLoop()
    } finally {
      this.busy = false
    }
  }

  /** Checks `state` whole, then copies it into the model a slice at a time (yield = one slice done). */
  private *copyIn(state: TrainerState): Generator<void> {
    if (!Number.isSafeInteger(state.step) || state.step < 0) {
      throw new UserError('invalid-config', `The state's step must be a whole number ≥ 0, got ${state.step}.`)
    }
    const groups: [string, NamedTensor[], number][] = [
      ['weights', state.params, this.plan.params],
      ['AdamW first moments', state.adamM, this.plan.adamM],
      ['AdamW second moments', state.adamV, this.plan.adamV],
    ]
    // Check everything before writing anything, so a refused state leaves the model as it was.
    for (const [what, tensors] of groups) checkTensors(this.layout, what, tensors)
    this.cachedWindow = null
    for (const [, tensors, base] of groups) {
      const byName = new Map(tensors.map((t) => [t.name, t]))
      for (const t of this.layout.tensors) {
        const data = byName.get(t.name)!.data
        const to = base / 4 + t.offset
        for (let at = 0; at < t.size; at += SNAPSHOT_SLICE_FLOATS) {
          this.f32.set(data.subarray(at, Math.min(t.size, at + SNAPSHOT_SLICE_FLOATS)), to + at)
          yield
        }
      }
    }
    this.stepCount = state.step
  }

  sphereTotals(): SphereStats[] {
    const { floats, ints } = this.control
    const stats: SphereStats[] = []
    for (let id = 0; id < this.threads; id++) {
      const base = statsIndex(this.control, id)
      const tokens = floats[base + S.stepTokens]
      stats.push({
        id,
        group: id % 12,
        parent: sphereParent(id),
        state: SPHERE_STATES[Atomics.load(ints, stateIndex(this.control, id))] ?? 'idle',
        busyNs: floats[base + S.totalBusyNs],
        waitNs: floats[base + S.totalWaitNs],
        utilisation: this.totalWallNs > 0 ? Math.min(1, floats[base + S.totalBusyNs] / this.totalWallNs) : 0,
        tokens: floats[base + S.totalTokens],
        batches: floats[base + S.totalBatches],
        loss: tokens > 0 ? floats[base + S.lossSum] / tokens : NaN,
      })
    }
    return stats
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true
      this.failure ??= new UserError('cancelled', 'The trainer was closed.')
      this.terminateAll()
    }
    return this.terminating ?? Promise.resolve()
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────────

  private enter(): void {
    if (this.failure) throw this.failure
    if (this.busy) throw new UserError('busy', 'The trainer is already running a step; wait for it to finish.')
    this.busy = true
  }

  private assertIdle(what: string): void {
    if (this.busy) throw new UserError('busy', `Cannot ${what} while a step is running.`)
  }

  /** Posts a command, wakes the spheres and waits (without blocking the event loop) until sphere 0 reports it done. */
  private async run(kind: CommandKind, rows: number, T: number): Promise<number> {
    const { ints } = this.control
    ints[I.cmdKind] = kind
    ints[I.cmdRows] = rows
    ints[I.cmdT] = T
    const seq = (this.seq = (this.seq + 1) | 0)
    const t0 = performance.now()
    this.holdProcess(true)
    Atomics.store(ints, I.cmdSeq, seq)
    Atomics.notify(ints, I.cmdSeq)
    try {
      for (;;) {
        if (this.failure) {
          await this.terminating
          throw this.failure
        }
        const seen = Atomics.load(ints, I.done)
        if (seen === seq) break
        const wait = waitAsync(ints, I.done, seen)
        if (wait.async) await wait.value
      }
    } finally {
      this.holdProcess(false)
    }
    const wallNs = (performance.now() - t0) * 1e6
    this.totalWallNs += wallNs
    return wallNs
  }

  /**
   * Idle spheres do not keep the process alive (a CLI that forgets close() still exits); a command in
   * flight does, since a pending Atomics.waitAsync alone would not.
   */
  private holdProcess(hold: boolean): void {
    for (const worker of this.workers) {
      if (hold) worker.ref()
      else worker.unref()
    }
  }

  /**
   * Registers `tokens` (and its loss mask) with the spheres if new, checks the windows and writes
   * their starts; with a mask, also the batch's count of targets that carry loss.
   */
  private loadStarts(
    tokens: TokenArray, starts: ArrayLike<number>, from: number, rows: number, mask?: Uint8Array, positions?: Uint16Array,
  ): void {
    const T = this.config.seqLen
    if (mask && mask.length !== tokens.length) {
      throw new UserError('invalid-input', `The loss mask holds ${mask.length} positions for ${tokens.length} tokens.`)
    }
    if (positions && positions.length !== tokens.length) {
      throw new UserError('invalid-input', `The positions hold ${positions.length} entries for ${tokens.length} tokens.`)
    }
    const { id, offset } = this.register(tokens, mask, positions)
    const { floats, ints } = this.control
    const last = tokens.length - (T + 1)
    for (let r = 0; r < rows; r++) {
      const start = starts[from + r]
      if (!Number.isSafeInteger(start) || start < 0 || start > last) {
        throw new UserError(
          'invalid-input',
          `Window start ${start} is outside the token data (a window needs ${T + 1} tokens from 0 to ${tokens.length}).`,
        )
      }
      floats[F.starts + r] = start
    }
    let lossCount = 0
    if (mask) {
      for (let r = 0; r < rows; r++) {
        const start = starts[from + r]
        for (let j = 1; j <= T; j++) lossCount += mask[start + j] === 1 ? 1 : 0
      }
    }
    floats[F.masked] = mask ? 1 : 0
    floats[F.lossCount] = lossCount
    floats[F.dataOffset] = offset
    ints[I.cmdDataset] = id
  }

  /**
   * A shared token array is posted to the spheres once (a handle, not a copy); a non-shared one is
   * copied once into a SharedArrayBuffer. The spheres read their windows from it directly.
   */
  private register(tokens: TokenArray, mask?: Uint8Array, positions?: Uint16Array): { id: number; offset: number } {
    const shared = tokens.buffer instanceof SharedArrayBuffer
    const key: object = shared ? tokens.buffer : tokens
    let entry = this.registry.get(key)
    if (entry && (entry.view.constructor !== tokens.constructor || entry.mask !== mask || entry.positions !== positions)) {
      this.registry.delete(key)
      for (const port of this.ports) port.postMessage({ id: entry.id, forget: [entry.id] } satisfies DatasetMessage)
      entry = undefined
    }
    if (!entry) {
      const wide = tokens instanceof Uint32Array
      const buffer = shared ? (tokens.buffer as SharedArrayBuffer) : new SharedArrayBuffer(tokens.byteLength)
      const length = Math.floor(buffer.byteLength / tokens.BYTES_PER_ELEMENT)
      const view: TokenArray = wide ? new Uint32Array(buffer, 0, length) : new Uint16Array(buffer, 0, length)
      if (!shared) view.set(tokens)
      checkTokenIds(view, this.config.vocabSize)
      entry = { id: this.nextDatasetId++, view, ...(mask ? { mask } : {}), ...(positions ? { positions } : {}) }
      const forget: number[] = []
      while (this.registry.size >= MAX_DATASETS) {
        const [oldKey, old] = this.registry.entries().next().value as [object, Registered]
        this.registry.delete(oldKey)
        forget.push(old.id)
      }
      const sharedMask = mask && !(mask.buffer instanceof SharedArrayBuffer) ? copyToShared(mask) : mask
      const sharedPositions = positions && !(positions.buffer instanceof SharedArrayBuffer) ? copyToShared(positions) : positions
      const message: DatasetMessage = {
        id: entry.id, tokens: view, forget,
        ...(sharedMask ? { mask: sharedMask } : {}),
        ...(sharedPositions ? { positions: sharedPositions } : {}),
      }
      for (const port of this.ports) port.postMessage(message)
      this.registry.set(key, entry)
    } else {
      // Most recently used last.
      this.registry.delete(key)
      this.registry.set(key, entry)
    }
    return { id: entry.id, offset: shared ? tokens.byteOffset / tokens.BYTES_PER_ELEMENT : 0 }
  }

  private stepPhases(): StepPhases[] {
    const { floats } = this.control
    const phases: StepPhases[] = []
    for (let id = 0; id < this.threads; id++) {
      const base = statsIndex(this.control, id)
      phases.push({
        computeNs: floats[base + S.phaseComputeNs],
        gradWaitNs: floats[base + S.phaseGradWaitNs],
        reduceNs: floats[base + S.phaseReduceNs],
        normWaitNs: floats[base + S.phaseNormWaitNs],
        updateNs: floats[base + S.phaseUpdateNs],
      })
    }
    return phases
  }

  private stepStats(wallNs: number): SphereStats[] {
    const { floats } = this.control
    const stats: SphereStats[] = []
    for (let id = 0; id < this.threads; id++) {
      const base = statsIndex(this.control, id)
      const tokens = floats[base + S.stepTokens]
      const busyNs = floats[base + S.stepBusyNs]
      stats.push({
        id,
        group: id % 12,
        parent: sphereParent(id),
        state: 'idle',
        busyNs,
        waitNs: floats[base + S.stepWaitNs],
        utilisation: wallNs > 0 ? Math.min(1, busyNs / wallNs) : 0,
        tokens,
        batches: tokens > 0 ? 1 : 0,
        loss: floats[base + S.stepLossTokens] > 0 ? floats[base + S.lossSum] / floats[base + S.stepLossTokens] : NaN,
      })
    }
    return stats
  }

  private fail(id: number, reason: string): void {
    if (this.failure) return
    this.failure = new SphereFault(id, reason)
    this.terminateAll()
  }

  private terminateAll(): void {
    if (this.terminating) return
    this.terminating = Promise.all(this.workers.map((w) => w.terminate())).then(() => {
      for (const port of this.ports) port.close()
    })
    // Wake a coordinator waiting for DONE so it sees the failure.
    Atomics.notify(this.control.ints, I.done)
  }
}

function checkTensors(layout: ParamLayout, what: string, tensors: NamedTensor[]): void {
  const byName = new Map(tensors.map((t) => [t.name, t]))
  for (const expected of layout.tensors) {
    const got = byName.get(expected.name)
    if (!got) throw new UserError('invalid-config', `The state's ${what} lack the tensor ${expected.name}.`)
    const shapeOk = got.shape.length === expected.shape.length && got.shape.every((d, i) => d === expected.shape[i])
    if (!shapeOk || got.data.length !== expected.size) {
      throw new UserError(
        'invalid-config',
        `The state's ${what} tensor ${expected.name} has shape [${got.shape.join(', ')}] (${got.data.length} values); ` +
          `this model needs [${expected.shape.join(', ')}].`,
      )
    }
  }
  if (tensors.length !== layout.tensors.length) {
    const extra = tensors.find((t) => !layout.tensors.some((e) => e.name === t.name))
    throw new UserError('invalid-config', `The state's ${what} hold a tensor this model does not have: ${extra?.name ?? '(duplicate)'}.`)
  }
}

function checkTokenIds(tokens: TokenArray, vocabSize: number): void {
  let max = 0
  for (let i = 0; i < tokens.length; i++) if (tokens[i] > max) max = tokens[i]
  if (max >= vocabSize) {
    throw new UserError('invalid-input', `The token data holds id ${max}, outside the model's vocabulary of ${vocabSize} (--vocab-size).`)
  }
}

/**
 * The worker entry: the built bundle next to this module (or one folder up from a shared chunk). From
 * the TypeScript sources (tests, `tsx` scripts) the worker is bundled once per process with esbuild
 * (what tsx itself uses) into the temp folder: loading tsx's hooks in every worker costs seconds, and
 * on Node 20 `--import tsx` in a worker's execArgv does not reach the worker's own entry.
 */
let sourceBundle: Promise<URL> | undefined

async function sphereWorkerEntry(): Promise<URL> {
  const built = builtFileNear('sphere-worker.js', import.meta.url)
  if (built) return pathToFileURL(built)
  sourceBundle ??= bundleWorkerSource()
  return sourceBundle
}

async function bundleWorkerSource(): Promise<URL> {
  // A runtime require, so that the app's bundler never pulls esbuild into the shipped main bundle.
  const { build } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild')
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./sphere-worker.ts', import.meta.url))],
    write: false, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'silent',
  })
  // Named by content: every process running the same sources shares one file, nothing to clean up.
  const code = result.outputFiles[0].contents
  const name = `sphere-worker-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`
  const dir = join(tmpdir(), 'cllm-sphere-worker')
  const path = join(dir, name)
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true })
    const partial = `${path}.${process.pid}.tmp`
    writeFileSync(partial, code)
    renameSync(partial, path)
  }
  return pathToFileURL(path)
}

/** A mask (or positions) not in shared memory, copied into it once so the spheres read it without a copy each. */
function copyToShared<A extends Uint8Array | Uint16Array>(mask: A): A {
  const Kind = mask.constructor as new (buffer: SharedArrayBuffer, offset: number, length: number) => A
  const copy = new Kind(new SharedArrayBuffer(Math.max(2, mask.byteLength)), 0, mask.length)
  copy.set(mask)
  return copy
}
