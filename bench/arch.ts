/**
 * `npm run bench -- arch [corpus…]`: GPT-2 against Llama from scratch at (nearly) equal parameters, on
 * the same corpus, tokenizer, seed, batches and learning rate, one run after the other on this machine.
 * Prints, per corpus, each run's validation loss against steps and against wall-clock time, the loss
 * each reached at the same wall time, and the time each took to reach the worse run's final loss.
 * Default corpora: resources/sample-corpus. Wall time on a shared machine wanders; the per-step losses
 * do not (same seed, same windows).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { train, type TrainFlags } from '../src/cli/commands/train'
import type { TrainingEvent } from '../src/shared/training'

const corpora = process.argv.slice(2).length ? process.argv.slice(2) : ['resources/sample-corpus']
const STEPS = Number(process.env.ARCH_STEPS ?? 400)
const shape: TrainFlags = {
  vocabSize: Number(process.env.ARCH_VOCAB ?? 1024), embedDim: 128, numLayers: 4, numHeads: 4, seqLen: 64,
  batchSize: 8, threads: 2, learningRate: 2e-3, maxSteps: STEPS, evalInterval: 25, checkpointInterval: 0, seed: 7,
}
const runs: { arch: 'gpt2' | 'llama'; extra: TrainFlags }[] = [
  { arch: 'gpt2', extra: {} },
  { arch: 'llama', extra: { numKvHeads: 4 } },
]

interface Curve {
  arch: string
  parameters: number
  tokensPerSec: number
  /** [step, seconds since the first step, validation loss] */
  points: [number, number, number][]
}

const silent = { out: () => undefined, err: () => undefined }

async function measure(corpus: string, arch: 'gpt2' | 'llama', extra: TrainFlags): Promise<Curve> {
  const dir = mkdtempSync(join(tmpdir(), 'cllm-arch-'))
  const points: [number, number, number][] = []
  let started = 0
  let parameters = 0
  let tokensPerSec = 0
  let lastVal = Number.NaN
  try {
    await train(corpus, { ...shape, ...extra, arch, checkpointDir: dir }, silent, {
      onSession: (session) =>
        session.on((event: TrainingEvent) => {
          if (event.event === 'training.started') {
            parameters = event.payload.parameters
            started = performance.now()
          }
          if (event.event === 'training.progress') {
            tokensPerSec = event.payload.tokensPerSec
            for (const p of event.payload.points) {
              if (p.valLoss !== undefined && p.valLoss !== lastVal) {
                lastVal = p.valLoss
                points.push([p.step, (performance.now() - started) / 1000, p.valLoss])
              }
            }
          }
        }),
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return { arch, parameters, tokensPerSec, points }
}

/** Linear interpolation of y at x along (x, y) points sorted by x. */
function at(points: [number, number][], x: number): number {
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]
    const [x1, y1] = points[i]
    if (x <= x1) return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0)
  }
  return points[points.length - 1][1]
}

/** First x at which y falls to the target (interpolated), or NaN. */
function reach(points: [number, number][], target: number): number {
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]
    const [x1, y1] = points[i]
    if (y1 <= target) return y0 === y1 ? x1 : x0 + ((x1 - x0) * (y0 - target)) / (y0 - y1)
  }
  return Number.NaN
}

for (const corpus of corpora) {
  const curves: Curve[] = []
  for (const { arch, extra } of runs) curves.push(await measure(corpus, arch, extra))
  console.log(`\n${corpus}: ${STEPS} steps of batch ${shape.batchSize} × ${shape.seqLen} tokens, vocabulary ${shape.vocabSize}, width ${shape.embedDim}, ${shape.numLayers} layers, ${shape.threads} threads`)
  for (const c of curves) {
    const last = c.points[c.points.length - 1]
    console.log(`  ${c.arch.padEnd(6)} ${c.parameters.toLocaleString('en-US').padStart(9)} parameters  ${Math.round(c.tokensPerSec).toLocaleString('en-US').padStart(7)} tok/s  final validation loss ${last[2].toFixed(4)} at step ${last[0]} after ${last[1].toFixed(1)} s`)
    console.log(`         by step: ${c.points.filter((_, i) => i % 4 === 3).map(([s, , l]) => `${s}: ${l.toFixed(3)}`).join('  ')}`)
  }
  const wall = Math.min(...curves.map((c) => c.points[c.points.length - 1][1]))
  const target = Math.max(...curves.map((c) => c.points[c.points.length - 1][2]))
  for (const c of curves) {
    const byTime = c.points.map(([, t, l]): [number, number] => [t, l])
    const byStep = c.points.map(([s, , l]): [number, number] => [s, l])
    console.log(`  ${c.arch.padEnd(6)} at ${wall.toFixed(1)} s: validation loss ${at(byTime, wall).toFixed(4)};  reaches ${target.toFixed(4)} after ${reach(byTime, target).toFixed(1)} s (step ${Math.round(reach(byStep, target))})`)
  }
}
