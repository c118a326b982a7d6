import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { UserError } from '../../../../../src/shared/errors'
import { countParameters } from '../../../../../src/shared/training'
import { createTrainer, type CreateTrainerOptions } from '../../../../../src/main/engine/spheres/pool'
import { repoRoot } from '../model/harness'
import { adamw, ensureKernelsBuilt, sameState, sharedTokens, startsFor, tinyModel, trainer } from './helpers'

const T = tinyModel.seqLen
const tokens = sharedTokens(3000, tinyModel.vocabSize, 5)
const open: { close(): Promise<void> }[] = []
const make = async (options: Parameters<typeof trainer>[0]) => {
  const t = await trainer(options)
  open.push(t)
  return t
}

beforeAll(() => ensureKernelsBuilt())
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()))
})

async function refusal(options: Partial<CreateTrainerOptions>): Promise<UserError> {
  const error = await createTrainer({ model: tinyModel, adamw, seed: 1, batchSize: 4, threads: 1, ...options }).then(
    () => {
      throw new Error('expected a refusal')
    },
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UserError)
  expect((error as UserError).code).toBe('invalid-config')
  return error as UserError
}

describe('createTrainer', () => {
  it('refuses impossible configs before starting anything, naming the field', async () => {
    expect((await refusal({ model: { ...tinyModel, nHeads: 5 } })).message).toMatch(/--num-heads \(5\).*--embed-dim \(32\)/)
    expect((await refusal({ model: { ...tinyModel, seqLen: 0 } })).message).toMatch(/--seq-len/)
    expect((await refusal({ model: { ...tinyModel, vocabSize: -3 } })).message).toMatch(/--vocab-size/)
    expect((await refusal({ batchSize: 2.5 })).message).toMatch(/--batch-size/)
    expect((await refusal({ threads: 0 })).message).toMatch(/--threads/)
    expect((await refusal({ adamw: { ...adamw, gradClip: NaN } })).message).toMatch(/--grad-clip/)
    const big = await refusal({
      model: { vocabSize: 50257, seqLen: 1024, dModel: 768, nLayers: 12, nHeads: 12 },
      batchSize: 64,
    })
    expect(big.message).toMatch(/GB.*--batch-size 64 × --seq-len 1024.*WebAssembly memory.*lower --batch-size or --seq-len/)
    const machine = await refusal({ machineMemoryBytes: 1e6 })
    expect(machine.message).toMatch(/this machine's/)
  })

  it('builds a GPT-2 with the expected parameter count and starts at about ln(vocab)', async () => {
    const t = await make({ threads: 2, batchSize: 4 })
    const { vocabSize, seqLen, dModel: embedDim, nLayers: numLayers, nHeads: numHeads } = tinyModel
    // The run config's count (what the CLI prints) and the trainer's layout agree.
    expect(t.paramCount).toBe(countParameters({ vocabSize, seqLen, embedDim, numLayers, numHeads }))
    const state = t.getState()
    expect(state.step).toBe(0)
    expect(state.params.map((p) => p.name).slice(0, 4)).toEqual(['wte.weight', 'wpe.weight', 'h.0.ln_1.weight', 'h.0.ln_1.bias'])
    const loss = await t.evaluate(tokens, startsFor(0, 8, tokens.length, T))
    expect(Math.abs(loss - Math.log(tinyModel.vocabSize))).toBeLessThan(0.05)
    const result = await t.step(tokens, startsFor(0, 4, tokens.length, T), 1e-3)
    expect(Math.abs(result.loss - Math.log(tinyModel.vocabSize))).toBeLessThan(0.05)
    expect(result.tokens).toBe(4 * T)
    expect(result.gradNorm).toBeGreaterThan(0)
    expect(result.spheres.map((s) => [s.id, s.group, s.parent, s.state])).toEqual([[0, 0, -1, 'idle'], [1, 1, -1, 'idle']])
    expect(t.getState().step).toBe(1)
  })

  it('overfits a short repeated sequence: the loss falls a lot in 100 steps', async () => {
    const t = await make({ threads: 1, batchSize: 4 })
    const pattern = [5, 17, 33, 2, 40, 9, 61, 28]
    const data = new Uint16Array(new SharedArrayBuffer(2 * 200))
    for (let i = 0; i < data.length; i++) data[i] = pattern[i % pattern.length]
    let first = 0
    let last = 0
    for (let k = 0; k < 100; k++) {
      const result = await t.step(data, [0, 3, 6, 11], 1e-2)
      if (k === 0) first = result.loss
      last = result.loss
    }
    expect(first).toBeGreaterThan(3.5)
    expect(last).toBeLessThan(0.1)
  })

  it('evaluates without training, in chunks beyond the batch, equal to the step forward', async () => {
    const t = await make({ threads: 2, batchSize: 3 })
    const starts = startsFor(3, 3, tokens.length, T)
    const evaluated = await t.evaluate(tokens, starts)
    expect(await t.evaluate(tokens, starts)).toBe(evaluated)
    const stepped = await t.step(tokens, starts, 1e-3)
    expect(stepped.loss).toBeCloseTo(evaluated, 6)
    // 7 windows on a pool sized for 3 at a time: chunked, token-weighted mean of the parts.
    const many = startsFor(4, 7, tokens.length, T)
    const whole = await t.evaluate(tokens, many)
    const parts = [await t.evaluate(tokens, many.slice(0, 3)), await t.evaluate(tokens, many.slice(3))]
    expect(whole).toBeCloseTo((parts[0] * 3 + parts[1] * 4) / 7, 6)
  })

  it('gives causal next-token logits whose cross-entropy matches evaluate', async () => {
    const t = await make({ threads: 2, batchSize: 2 })
    const start = 100
    const window = Array.from(tokens.subarray(start, start + T + 1))
    let total = 0
    for (let k = 1; k <= T; k++) {
      const logits = await t.logits(window.slice(0, k))
      expect(logits.length).toBe(tinyModel.vocabSize)
      const max = Math.max(...logits)
      const logSum = Math.log(logits.reduce((s, x) => s + Math.exp(x - max), 0)) + max
      total += logSum - logits[window[k]]
    }
    const evaluated = await t.evaluate(tokens, [start])
    expect(total / T).toBeCloseTo(evaluated, 4)
    // Only the last seqLen tokens count.
    const long = [1, 2, 3, ...window.slice(0, T)]
    expect(await t.logits(long)).toEqual(await t.logits(window.slice(0, T)))
  })

  it('takes token data that is not shared (copied once) and token subarrays of a shared buffer', async () => {
    const t = await make({ threads: 2, batchSize: 2 })
    const starts = [10, 500]
    const shared = await t.evaluate(tokens, starts)
    expect(await t.evaluate(Uint16Array.from(tokens), starts)).toBe(shared)
    expect(await t.evaluate(Uint32Array.from(tokens), starts)).toBe(shared)
    expect(await t.evaluate(tokens.subarray(10), [0, 490])).toBe(shared)
    for (let i = 0; i < 6; i++) expect(await t.evaluate(tokens.slice(), starts)).toBe(shared)
  })

  it('refuses windows outside the data, token ids outside the vocabulary, and concurrent calls', async () => {
    const t = await make({ threads: 1, batchSize: 2 })
    await expect(t.step(tokens, [tokens.length - T], 1e-3)).rejects.toThrow(/Window start/)
    await expect(t.step(tokens, [0, 1, 2], 1e-3)).rejects.toThrow(/--batch-size/)
    await expect(t.step(tokens, [0], NaN)).rejects.toThrow(/learning rate/)
    const bad = Uint16Array.from(tokens)
    bad[7] = tinyModel.vocabSize
    await expect(t.evaluate(bad, [0])).rejects.toThrow(/id 64, outside the model's vocabulary of 64/)
    await expect(t.logits([])).rejects.toThrow(/at least one token/)
    const running = t.step(tokens, [0, 1], 1e-3)
    await expect(t.step(tokens, [0, 1], 1e-3)).rejects.toMatchObject({ code: 'busy' })
    expect(() => t.getState()).toThrow(/while a step is running/)
    await running
    // Refusals leave the trainer usable.
    expect((await t.step(tokens, [0, 1], 1e-3)).tokens).toBe(2 * T)
  })

  it('snapshotState gives getState\'s copy, and refuses steps until it is done', async () => {
    const t = await make({ threads: 2, batchSize: 2 })
    await t.step(tokens, [0, 1], 1e-3)
    const snapshot = t.snapshotState()
    await expect(t.step(tokens, [0, 1], 1e-3)).rejects.toMatchObject({ code: 'busy' })
    const state = await snapshot
    expect(sameState(state, t.getState())).toBe(true)
    // A copy, not a view: later steps leave it as it was.
    const before = state.params[0].data.slice()
    await t.step(tokens, [0, 1], 1e-3)
    expect(Buffer.from(state.params[0].data.buffer).equals(Buffer.from(before.buffer))).toBe(true)
  })

  it('restoreState loads what setState loads, and refuses steps until it is done', async () => {
    const source = await make({ threads: 1, batchSize: 2 })
    await source.step(tokens, [0, 1], 1e-3)
    const state = await source.snapshotState()
    const t = await make({ threads: 2, batchSize: 2 })
    const restoring = t.restoreState(state)
    await expect(t.step(tokens, [0, 1], 1e-3)).rejects.toMatchObject({ code: 'busy' })
    await restoring
    expect(sameState(t.getState(), state)).toBe(true)
    // A refused state is refused before anything is copied, and the trainer is usable after.
    await expect(t.restoreState({ ...state, adamV: state.adamV.slice(1) })).rejects.toThrow(/second moments lack/)
    expect(sameState(t.getState(), state)).toBe(true)
    await t.step(tokens, [0, 1], 1e-3)
  })

  it('refuses a state of another shape and leaves the model as it was', async () => {
    const t = await make({ threads: 1, batchSize: 2 })
    const state = t.getState()
    const wrong = { ...state, params: state.params.map((p, i) => (i === 1 ? { ...p, shape: [3, 3], data: new Float32Array(9) } : p)) }
    expect(() => t.setState(wrong)).toThrow(/wpe.weight has shape \[3, 3\].*needs \[16, 32\]/)
    const missing = { ...state, adamV: state.adamV.slice(1) }
    expect(() => t.setState(missing)).toThrow(/second moments lack the tensor wte.weight/)
    expect(sameState(t.getState(), state)).toBe(true)
  })

  it('keeps the process alive while a step is in flight, and not after (a forgotten close() does not hang)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cllm-pool-'))
    const script = join(dir, 'forgotten-close.mts')
    const pool = pathToFileURL(join(repoRoot, 'src/main/engine/spheres/pool.ts')).href
    writeFileSync(
      script,
      `import { createTrainer } from ${JSON.stringify(pool)}\n` +
        `const t = await createTrainer({ model: ${JSON.stringify(tinyModel)}, adamw: ${JSON.stringify(adamw)}, batchSize: 2, threads: 2, seed: 1 })\n` +
        `const data = new Uint16Array(new SharedArrayBuffer(400)).map((_, i) => i % 50)\n` +
        `t.step(data, [0, 9], 1e-3).then((r) => console.log('stepped', r.tokens))\n`,
    )
    try {
      const result = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 })
      expect(result.stderr).toBe('')
      expect(result.stdout.trim()).toBe(`stepped ${2 * T}`)
      expect(result.status).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('runs the plain-TS reference kernels in the spheres too, with the same numbers', async () => {
    const fast = await make({ threads: 2, batchSize: 2 })
    const ref = await make({ threads: 2, batchSize: 2, kernels: 'reference' })
    for (let k = 0; k < 2; k++) {
      const starts = startsFor(k, 2, tokens.length, T)
      const [a, b] = [await fast.step(tokens, starts, 1e-3), await ref.step(tokens, starts, 1e-3)]
      expect(Math.abs(a.loss - b.loss) / b.loss).toBeLessThan(1e-5)
      expect(Math.abs(a.gradNorm - b.gradNorm) / b.gradNorm).toBeLessThan(1e-4)
    }
  })

  it('reports cumulative per-sphere statistics', async () => {
    const t = await make({ threads: 2, batchSize: 3 })
    for (let k = 0; k < 3; k++) await t.step(tokens, startsFor(k, 3, tokens.length, T), 1e-3)
    const totals = t.sphereTotals()
    expect(totals.map((s) => [s.tokens, s.batches])).toEqual([[6 * T, 3], [3 * T, 3]])
    for (const s of totals) {
      expect(s.busyNs).toBeGreaterThan(0)
      expect(s.utilisation).toBeGreaterThan(0)
      expect(s.utilisation).toBeLessThanOrEqual(1)
    }
  })
})
