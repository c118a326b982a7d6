/**
 * Packed windows on whole models (GPT-2's learned positions, Llama's rotary positions and grouped
 * attention): conversations packed into one window with positions restarting at each give exactly the
 * loss and gradients they give alone, each in its own padded window (within float32 noise), and
 * nothing flows across conversations: changing one leaves the other's per-position losses bit for bit.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { ModelConfig } from '../../../../../../src/main/engine/model/trainer'
import type { ActivationMode } from '../../../../../../src/main/engine/model/memory-plan'
import { createHarness, ensureKernelsBuilt, randomTokens, type Harness } from '../harness'

const T = 20
const gpt2: ModelConfig = { vocabSize: 13, seqLen: T, dModel: 8, nLayers: 2, nHeads: 2 }
const llama: ModelConfig = {
  architecture: 'llama', vocabSize: 13, seqLen: T, dModel: 8, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 6,
  ropeTheta: 100, normEps: 1e-5, tiedEmbeddings: false, qkvBias: true,
}

/** Two conversations and a tail of padding that fill one window of T + 1 tokens when packed. */
const A = randomTokens(7, 12, 1)
const B = randomTokens(9, 12, 2)
const PAD = 12
const tail = T + 1 - A.length - B.length
/** Which of a conversation's tokens carry loss as targets: answers (here: every other token) past the first. */
const carriesIn = (n: number): boolean[] => Array.from({ length: n }, (_, i) => i >= 1 && i % 3 !== 1)

/** Loads windows (T + 1 tokens each), a target's loss flag per position, and (packed) positions per row. */
function load(h: Harness, windows: number[][], carried: boolean[][], positions?: number[][]): number {
  const area = h.plan.shards[0]
  let count = 0
  windows.forEach((w, r) => {
    for (let j = 0; j < T; j++) {
      h.i32[area.tokens / 4 + r * T + j] = w[j]
      h.i32[area.targets / 4 + r * T + j] = carried[r][j + 1] ? w[j + 1] : -1
      if (positions) h.i32[area.positions / 4 + r * T + j] = positions[r][j]
      if (carried[r][j + 1]) count++
    }
  })
  return count
}

function padded(tokens: number[], carries: boolean[]): { window: number[]; carried: boolean[] } {
  const pad = T + 1 - tokens.length
  return { window: [...tokens, ...Array<number>(pad).fill(PAD)], carried: [...carries, ...Array<boolean>(pad).fill(false)] }
}

const packedWindow = [...A, ...B, ...Array<number>(tail).fill(PAD)]
const packedCarried = [...carriesIn(A.length), ...carriesIn(B.length), ...Array<boolean>(tail).fill(false)]
const packedPositions = [
  ...A.map((_, i) => i), ...B.map((_, i) => i), ...Array.from({ length: tail }, (_, i) => i),
].slice(0, T)

beforeAll(() => ensureKernelsBuilt())

describe.each([
  ['gpt2', gpt2, 'stored'],
  ['gpt2', gpt2, 'recomputed'],
  ['llama', llama, 'stored'],
  ['llama', llama, 'recomputed'],
] as Array<[string, ModelConfig, ActivationMode]>)('packed windows, %s (%s activations)', (_name, config, activations) => {
  it('two packed conversations give the loss and gradients they give alone in padded windows', async () => {
    const h = await createHarness(config, 2, 'wasm', 3, activations)
    const a = padded(A, carriesIn(A.length)), b = padded(B, carriesIn(B.length))
    const count = load(h, [a.window, b.window], [a.carried, b.carried])
    h.grads.fill(0)
    const paddedLoss = h.shard.forward(2, T, true)
    h.shard.backward(2, T, 1 / count)
    const paddedGrads = Float32Array.from(h.grads)

    expect(load(h, [packedWindow], [packedCarried], [packedPositions])).toBe(count)
    h.grads.fill(0)
    const packedLoss = h.shard.forward(1, T, true, true)
    h.shard.backward(1, T, 1 / count, true)
    expect(Math.abs(packedLoss - paddedLoss)).toBeLessThan(1e-5 * paddedLoss)
    let scale = 0
    for (const g of paddedGrads) scale = Math.max(scale, Math.abs(g))
    expect(scale).toBeGreaterThan(0)
    const misses: string[] = []
    h.grads.forEach((g, i) => {
      if (Math.abs(g - paddedGrads[i]) > 1e-5 * scale + 1e-4 * Math.abs(paddedGrads[i])) misses.push(`${i}: ${g} vs ${paddedGrads[i]}`)
    })
    expect(misses.slice(0, 5)).toEqual([])
  })

  it('nothing crosses conversations: changing the first leaves the second\'s losses bit for bit, and its gradients come from it alone', async () => {
    const h = await createHarness(config, 1, 'wasm', 4, activations)
    const area = h.plan.shards[0]
    const lossesOf = (): number[] => Array.from(h.f32.subarray(area.losses / 4 + A.length, area.losses / 4 + A.length + B.length - 1))
    load(h, [packedWindow], [packedCarried], [packedPositions])
    h.shard.forward(1, T, true, true)
    const before = lossesOf()
    const changed = [...A.map((t) => (t + 5) % 12), ...packedWindow.slice(A.length)]
    load(h, [changed], [packedCarried], [packedPositions])
    h.shard.forward(1, T, true, true)
    expect(lossesOf()).toEqual(before)
    // Without packing (one causal window), the second conversation's losses do depend on the first.
    load(h, [packedWindow], [packedCarried])
    h.shard.forward(1, T, true)
    const unpacked = lossesOf()
    load(h, [changed], [packedCarried])
    h.shard.forward(1, T, true)
    expect(lossesOf()).not.toEqual(unpacked)

    // Loss on the second conversation only: packed after the first, or alone, the same gradients.
    const onlyB = packedCarried.map((c, i) => c && i >= A.length)
    const count = load(h, [packedWindow], [onlyB], [packedPositions])
    h.grads.fill(0)
    h.shard.forward(1, T, true, true)
    h.shard.backward(1, T, 1 / count, true)
    const packedGrads = Float32Array.from(h.grads)
    const b = padded(B, carriesIn(B.length))
    load(h, [b.window], [b.carried])
    h.grads.fill(0)
    h.shard.forward(1, T, true)
    h.shard.backward(1, T, 1 / count)
    let scale = 0
    for (const g of h.grads) scale = Math.max(scale, Math.abs(g))
    const misses: string[] = []
    h.grads.forEach((g, i) => {
      if (Math.abs(g - packedGrads[i]) > 1e-5 * scale + 1e-4 * Math.abs(g)) misses.push(`${i}: ${packedGrads[i]} vs ${g}`)
    })
    expect(misses.slice(0, 5)).toEqual([])
  })
})
