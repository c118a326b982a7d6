/**
 * The engine's Llama against an independent PyTorch 1.13 implementation (bench/llama_torch.py) from the
 * same weights and the same windows: the loss, every gradient, and the weights after a few AdamW steps
 * (weight decay on matrices only) agree within float32 noise. Grouped-query attention, untied head and
 * q/k/v biases (Qwen2's), so every path of the architecture is compared.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { withLlamaDefaults } from '../../../../../../src/main/engine/model/architectures/llama'
import { adamwStep, applyAdamW } from '../../../../../../src/main/engine/model/adamw-step'
import type { AdamWConfig, ModelConfig } from '../../../../../../src/main/engine/model/trainer'
import { Rng } from '../../../../../../src/main/engine/rng'
import { createHarness, ensureKernelsBuilt, randomTokens, repoRoot, type Harness } from '../harness'

const PYTHON = '/usr/bin/python3'
const ORACLE = join(repoRoot, 'bench', 'llama_torch.py')

const STEPS = 4
const adamw: AdamWConfig = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 0 }
const lrs = [1e-3, 2e-3, 2e-3, 1e-3]

interface TorchRun {
  losses: number[]
  grads: Float32Array
  /** Parameters after each step, tensor order, concatenated. */
  params: Float32Array[]
}

function torchRun(h: Harness, config: ModelConfig, windows: number[][]): TorchRun {
  const tensors = h.layout.tensors.map(({ name, shape }) => ({ name, shape }))
  const total = h.layout.paramCount
  const flat = new Float32Array(total)
  let at = 0
  for (const t of h.layout.tensors) {
    flat.set(h.params.subarray(t.offset, t.offset + t.size), at)
    at += t.size
  }
  const header = JSON.stringify({
    config: withLlamaDefaults(config), tensors, windows, steps: STEPS, lrs, weightDecay: adamw.weightDecay,
    beta1: adamw.beta1, beta2: adamw.beta2, eps: adamw.eps,
  })
  const run = spawnSync(PYTHON, [ORACLE], {
    input: Buffer.concat([Buffer.from(header + '\n'), Buffer.from(flat.buffer)]),
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  })
  if (run.error || run.status !== 0) {
    throw new Error(`PyTorch oracle failed (needs ${PYTHON} with torch): ${run.error?.message ?? run.stderr.toString()}`)
  }
  const newline = run.stdout.indexOf(10)
  const { losses } = JSON.parse(run.stdout.subarray(0, newline).toString()) as { losses: number[] }
  const body = run.stdout.subarray(newline + 1)
  const floats = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength))
  expect(floats.length).toBe(total * (1 + STEPS))
  return {
    losses,
    grads: floats.subarray(0, total),
    params: Array.from({ length: STEPS }, (_, s) => floats.subarray(total * (1 + s), total * (2 + s))),
  }
}

/** The engine's tensors in layout order, concatenated (padding left out), from a block view. */
function flatten(h: Harness, block: Float32Array): Float32Array {
  const out = new Float32Array(h.layout.paramCount)
  let at = 0
  for (const t of h.layout.tensors) {
    out.set(block.subarray(t.offset, t.offset + t.size), at)
    at += t.size
  }
  return out
}

/** max |a − b| over a tensor, against its largest |b|: the relative error of the tensor as a whole. */
function worstTensor(h: Harness, a: Float32Array, b: Float32Array): { name: string; error: number } {
  let worst = { name: '', error: 0 }
  let at = 0
  for (const t of h.layout.tensors) {
    let diff = 0
    let scale = 0
    for (let i = at; i < at + t.size; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]))
      scale = Math.max(scale, Math.abs(b[i]))
    }
    const error = diff / Math.max(scale, 1e-30)
    if (error > worst.error) worst = { name: t.name, error }
    at += t.size
  }
  return worst
}

const config: ModelConfig = {
  architecture: 'llama', vocabSize: 61, seqLen: 16, dModel: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 40,
  ropeTheta: 500, normEps: 1e-6, tiedEmbeddings: false, qkvBias: true,
}

beforeAll(() => ensureKernelsBuilt())

describe('Llama against PyTorch', () => {
  it.each(['wasm', 'reference'] as const)('%s kernels: loss, gradients and four AdamW steps agree within float32 noise', async (kernels) => {
    const h = await createHarness(config, 3, kernels, 17)
    // Norm weights and biases away from 1 and 0, so their gradients are compared too.
    const rng = Rng.seeded(5)
    for (const t of h.layout.tensors) {
      if (t.init === 'ones') for (let i = 0; i < t.size; i++) h.params[t.offset + i] = 1 + rng.nextNormal() * 0.1
      if (t.init === 'zeros') for (let i = 0; i < t.size; i++) h.params[t.offset + i] = rng.nextNormal() * 0.05
    }
    const flat = randomTokens(3 * (config.seqLen + 1), config.vocabSize, 23)
    const windows = [0, 1, 2].map((r) => flat.slice(r * (config.seqLen + 1), (r + 1) * (config.seqLen + 1)))
    h.setWindows(windows)
    const torch = torchRun(h, config, windows)

    const f32 = new Float32Array(h.memory.buffer)
    const m0 = h.plan.adamM / 4
    const v0 = h.plan.adamV / 4
    f32.fill(0, m0, m0 + h.layout.totalFloats)
    f32.fill(0, v0, v0 + h.layout.totalFloats)
    const losses: number[] = []
    for (let s = 0; s < STEPS; s++) {
      losses.push(h.lossAndGrad())
      if (s === 0) {
        const grads = worstTensor(h, flatten(h, h.grads), torch.grads)
        console.log(`Llama vs PyTorch (${kernels}): worst gradient tensor ${grads.name}, max error ${grads.error.toExponential(2)} of its largest value`)
        expect(grads.error).toBeLessThan(1e-5)
      }
      const step = adamwStep(adamw, lrs[s], s + 1)
      for (const t of h.layout.tensors) {
        const at = t.offset * 4
        applyAdamW(h.kernels, step, { params: h.plan.params + at, grads: h.plan.grads[0] + at, m: h.plan.adamM + at, v: h.plan.adamV + at }, t.size, t.decay, 1)
      }
      // After the step, each weight has moved by about lr; compare the moves, not the weights.
      const ours = flatten(h, h.params)
      let worstMove = 0
      for (let i = 0; i < ours.length; i++) worstMove = Math.max(worstMove, Math.abs(ours[i] - torch.params[s][i]))
      console.log(`  after step ${s + 1}: loss ${losses[s].toFixed(6)} (PyTorch ${torch.losses[s].toFixed(6)}), max weight difference ${worstMove.toExponential(2)} (steps of ≈${lrs[s]})`)
      expect(worstMove).toBeLessThan(lrs[s] * 1e-2)
    }
    for (let s = 0; s < STEPS; s++) expect(Math.abs(losses[s] - torch.losses[s])).toBeLessThan(2e-6 * torch.losses[s])
  })
})
