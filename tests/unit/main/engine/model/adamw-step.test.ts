/**
 * The engine's AdamW against torch.optim.AdamW (PyTorch 1.13, CPU, single-tensor path) from the same
 * weights and the same gradients, step by step: both WebAssembly builds agree with PyTorch to float32
 * rounding noise, which they did not when 1 − β2 was formed in f32 (0.000999987, 1.3e-5 off).
 */
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { adamwStep, applyAdamW } from '../../../../../src/main/engine/model/adamw-step'
import type { AdamWConfig } from '../../../../../src/main/engine/model/trainer'
import { Arena, VARIANTS, ensureKernelsBuilt, kernelsOf, rng, sharedMemory } from '../kernels/helpers'

const PYTHON = '/usr/bin/python3'
const ORACLE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'torch-adamw.py')

const config: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, gradClip: 0 }
const n = 1003
const steps = 12
/** Two tensors, as the engine's segments are: one that decays, one that does not (biases, LayerNorm). */
const groups = [
  { offset: 0, length: 701, weightDecay: config.weightDecay },
  { offset: 701, length: n - 701, weightDecay: 0 },
]
/** A warm-up then a decay, as the session's schedule gives. */
const lrs = Array.from({ length: steps }, (_, s) => (s < 4 ? 3e-3 * ((s + 1) / 4) : 3e-3 * 0.8 ** (s - 3)))

/** Initial weights and each step's gradients: mixed magnitudes, exact zeros and values below eps. */
function problem(): { initial: Float32Array; grads: Float32Array } {
  const rand = rng(2024)
  const initial = new Float32Array(n)
  for (let i = 0; i < n; i++) initial[i] = (rand() * 2 - 1) * 0.5
  const grads = new Float32Array(steps * n)
  for (let i = 0; i < grads.length; i++) {
    const kind = rand()
    const scale = kind < 0.05 ? 0 : kind < 0.1 ? 1e-9 : kind < 0.5 ? 1e-3 : 1
    grads[i] = (rand() * 2 - 1) * scale
  }
  return { initial, grads }
}

/** PyTorch's parameters, exp_avg and exp_avg_sq after every step. */
function torchTrajectory(initial: Float32Array, grads: Float32Array): Float32Array {
  const header = JSON.stringify({ n, steps, beta1: config.beta1, beta2: config.beta2, eps: config.eps, lrs, groups })
  const input = Buffer.concat([
    Buffer.from(header + '\n'),
    Buffer.from(initial.buffer, initial.byteOffset, initial.byteLength),
    Buffer.from(grads.buffer, grads.byteOffset, grads.byteLength),
  ])
  const run = spawnSync(PYTHON, [ORACLE], { input, maxBuffer: 64 * 1024 * 1024, timeout: 30_000 })
  if (run.error || run.status !== 0) {
    throw new Error(`PyTorch oracle failed (needs ${PYTHON} with torch): ${run.error?.message ?? run.stderr.toString()}`)
  }
  const out = run.stdout
  expect(out.byteLength).toBe(steps * 3 * n * 4)
  return new Float32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength))
}

/**
 * |a − b| in float32 units in the last place of `scale`, the measure of rounding noise. For m and the
 * parameters the scale is the largest term that has flowed into the value so far (β1·m + (1−β1)·g can
 * cancel, and an earlier rounding error stays in the sum), so their own size would not do; v is a sum
 * of positive terms and is held to its own size.
 */
function ulps(a: number, b: number, scale: number): number {
  return Math.abs(a - b) / (Math.max(scale, 2 ** -126) * 2 ** -23)
}

describe('AdamW matches torch.optim.AdamW step by step', () => {
  let expected: Float32Array
  const { initial, grads } = problem()
  beforeAll(() => {
    ensureKernelsBuilt()
    expected = torchTrajectory(initial, grads)
  })

  it.each(VARIANTS)('%s build', async (variant) => {
    const memory = sharedMemory(1 << 20)
    const k = await kernelsOf(memory, variant)
    const arena = new Arena(memory)
    const at = { params: arena.alloc('params', n), grads: arena.alloc('grads', n), m: arena.alloc('m', n), v: arena.alloc('v', n) }
    const params = arena.f32(at.params), grad = arena.f32(at.grads), m = arena.f32(at.m), v = arena.f32(at.v)
    params.set(initial)
    m.fill(0)
    v.fill(0)
    const worst = { param: 0, m: 0, v: 0 }
    const mScale = new Float64Array(n)
    const pScale = Float64Array.from(initial, Math.abs)
    for (let s = 0; s < steps; s++) {
      grad.set(grads.subarray(s * n, (s + 1) * n))
      const step = adamwStep(config, lrs[s], s + 1)
      for (const g of groups) {
        const shift = g.offset * 4
        const where = { params: at.params + shift, grads: at.grads + shift, m: at.m + shift, v: at.v + shift }
        applyAdamW(k, step, where, g.length, g.weightDecay > 0, 1)
      }
      const base = s * 3 * n
      for (let i = 0; i < n; i++) {
        const [p, mi, vi] = [expected[base + i], expected[base + n + i], expected[base + 2 * n + i]]
        mScale[i] = Math.max(config.beta1 * mScale[i], Math.abs(mi), Math.abs(grads[s * n + i]) * step.oneMinusBeta1)
        const denom = Math.sqrt(vi) / step.sqrtBiasCorrection2 + config.eps
        pScale[i] = Math.max(pScale[i], Math.abs(p), (step.stepSize * mScale[i]) / denom)
        worst.param = Math.max(worst.param, ulps(params[i], p, pScale[i]))
        worst.m = Math.max(worst.m, ulps(m[i], mi, mScale[i]))
        worst.v = Math.max(worst.v, ulps(v[i], vi, vi))
      }
    }
    expect(worst.v).toBeLessThanOrEqual(3)
    expect(worst.m).toBeLessThanOrEqual(3)
    expect(worst.param).toBeLessThanOrEqual(3)
  })
})
