/**
 * An in-process model for tests: one shard on its own shared memory, with the reference or the
 * WebAssembly kernels, no worker threads. What a sphere does, minus the pool.
 */
import { execFileSync } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Kernels } from '../../../../../src/main/engine/kernels/abi'
import { loadKernels } from '../../../../../src/main/engine/kernels/index'
import { createReferenceKernels } from '../../../../../src/main/engine/kernels/reference'
import { initParams } from '../../../../../src/main/engine/model/init'
import { architectureOf, createParamLayout, type ModelShard } from '../../../../../src/main/engine/model/architectures'
import type { ParamLayout } from '../../../../../src/main/engine/model/layout'
import { planMemory, type ActivationMode, type MemoryPlan } from '../../../../../src/main/engine/model/memory-plan'
import type { ModelConfig } from '../../../../../src/main/engine/model/trainer'
import type { Rng } from '../../../../../src/main/engine/rng'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../..')

/** Builds build/kernels/*.wasm when missing or stale (the real build script). */
export function ensureKernelsBuilt(): void {
  execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--if-stale'], { cwd: repoRoot, stdio: 'pipe' })
}

export interface Harness {
  layout: ParamLayout
  plan: MemoryPlan
  kernels: Kernels
  shard: ModelShard
  memory: WebAssembly.Memory
  f32: Float32Array
  i32: Int32Array
  /** Parameters (a view into memory, padding included). */
  params: Float32Array
  grads: Float32Array
  /**
   * Loads windows of T + 1 tokens. With `carries` (per window, per target position 0..T−1), a
   * target that carries no loss becomes −1, as a sphere loads chat data, and the mean is over the rest.
   */
  setWindows(tokens: number[][], carries?: boolean[][]): void
  /** Mean cross-entropy over the loaded windows' targets that carry loss. */
  loss(): number
  /** Gradient of the mean loss into `grads` (zeroed first); returns the loss. */
  lossAndGrad(): number
}

export async function createHarness(
  config: ModelConfig, rows: number, kernels: 'reference' | 'wasm', seed = 1,
  activations: ActivationMode = 'auto',
): Promise<Harness> {
  const layout = createParamLayout(config)
  const plan = planMemory(layout, rows, 1, undefined, activations)
  const memory = new WebAssembly.Memory({ initial: plan.pages, maximum: plan.pages, shared: true })
  const k = kernels === 'wasm' ? (await loadKernels(memory)).kernels : createReferenceKernels(memory)
  const f32 = new Float32Array(memory.buffer)
  const i32 = new Int32Array(memory.buffer)
  const params = f32.subarray(plan.params / 4, plan.params / 4 + layout.totalFloats)
  const grads = f32.subarray(plan.grads[0] / 4, plan.grads[0] / 4 + layout.totalFloats)
  initParams(params, layout, seed)
  const shard = architectureOf(config).createShard(k, memory.buffer, layout, plan.shards[0], plan.params, plan.grads[0])
  const area = plan.shards[0]
  const T = config.seqLen
  let B = 0
  let count = 0
  return {
    layout, plan, kernels: k, shard, memory, f32, i32, params, grads,
    setWindows(windows, carries) {
      B = windows.length
      count = 0
      windows.forEach((w, r) => {
        for (let j = 0; j < T; j++) {
          const carried = carries ? carries[r][j] : true
          i32[area.tokens / 4 + r * T + j] = w[j]
          i32[area.targets / 4 + r * T + j] = carried ? w[j + 1] : -1
          if (carried) count++
        }
      })
    },
    loss() {
      return shard.forward(B, T, true) / count
    },
    lossAndGrad() {
      grads.fill(0)
      const loss = shard.forward(B, T, true) / count
      shard.backward(B, T, 1 / count)
      return loss
    },
  }
}

/** Seeded uniform integers (mulberry32) for token data. */
export function randomTokens(count: number, vocab: number, seed: number): number[] {
  let a = seed >>> 0
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    out.push(Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * vocab))
  }
  return out
}

/** A tensor's directional derivative of the loss, from the gradient and from central differences. */
export interface DirectionalCheck {
  name: string
  analytic: number
  numeric: number
}

/**
 * For each tensor, a random direction (drawn from `rng`, unit length, step 1e-2): the loss at
 * ± the step by central differences, against the gradient (left by the last lossAndGrad) dotted
 * with the perturbation actually stored (float32-rounded). Leaves the parameters as they were.
 */
export function directionalChecks(h: Pick<Harness, 'layout' | 'params' | 'loss'>, grads: Float64Array, rng: Rng): DirectionalCheck[] {
  const checks: DirectionalCheck[] = []
  for (const t of h.layout.tensors) {
    const base = Float32Array.from(h.params.subarray(t.offset, t.offset + t.size))
    const dir = Array.from({ length: t.size }, () => rng.nextNormal())
    const norm = Math.hypot(...dir)
    const eps = 1e-2
    const set = (sign: number): Float32Array => {
      for (let i = 0; i < t.size; i++) h.params[t.offset + i] = base[i] + (sign * eps * dir[i]) / norm
      return Float32Array.from(h.params.subarray(t.offset, t.offset + t.size))
    }
    const plus = set(1)
    const lossPlus = h.loss()
    const minus = set(-1)
    const lossMinus = h.loss()
    h.params.set(base, t.offset)
    let analytic = 0
    for (let i = 0; i < t.size; i++) analytic += grads[t.offset + i] * (plus[i] - minus[i])
    checks.push({ name: t.name, analytic, numeric: lossPlus - lossMinus })
  }
  return checks
}

/** The checks whose two derivatives differ by more than 2e-6 + 1% of the gradient's, described. */
export function directionalFailures(checks: readonly DirectionalCheck[]): string[] {
  return checks
    .filter((c) => Math.abs(c.numeric - c.analytic) > 2e-6 + 1e-2 * Math.abs(c.analytic))
    .map((c) => `${c.name}: numeric ${c.numeric}, analytic ${c.analytic}`)
}
