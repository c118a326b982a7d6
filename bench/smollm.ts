/**
 * SmolLM2-135M shape benchmark: `npm run bench -- smollm [--steps 2] [--ctx 256] [--no-torch]`.
 *
 * Training tokens/s of full optimizer steps at SmolLM2-135M's shape (Llama: vocab 49,152, d 576, 30
 * layers, 9 query / 3 key-value heads, SwiGLU 1536, tied; 134,515,008 parameters), randomly initialised,
 * on 2 threads with batch 2, beside the PyTorch reference on the same shape, threads and batch
 * (bench/llama_torch.py --bench), with each side's peak memory. Prints figures; asserts nothing.
 */
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { createParamLayout } from '../src/main/engine/model/architectures'
import { planMemory } from '../src/main/engine/model/memory-plan'
import type { ModelConfig } from '../src/main/engine/model/trainer'
import { Rng } from '../src/main/engine/rng'
import { createTrainer } from '../src/main/engine/spheres/pool'
import { ADAMW, benchTokens, median } from './train'

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '2' },
    ctx: { type: 'string', default: '256' },
    'no-torch': { type: 'boolean', default: false },
  },
})
const steps = Math.max(1, Number(values.steps))
const seqLen = Number(values.ctx)
const THREADS = 2
const BATCH = 2
export const SMOLLM2_135M: ModelConfig = {
  architecture: 'llama', vocabSize: 49152, seqLen, dModel: 576, nLayers: 30, nHeads: 9, nKvHeads: 3, ffnDim: 1536,
  normEps: 1e-5, ropeTheta: 100000, tiedEmbeddings: true, qkvBias: false,
}
const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(2)} GiB`

execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--if-stale'], { stdio: 'inherit' })
const layout = createParamLayout(SMOLLM2_135M)
const plan = planMemory(layout, BATCH, THREADS)
console.log(
  `SmolLM2-135M shape: ${layout.paramCount.toLocaleString('en-US')} parameters, context ${seqLen}, batch ${BATCH} on ${THREADS} threads; ` +
    `memory plan ${gib(plan.totalBytes)} (${plan.shards[0].recompute ? 'activations recomputed' : 'activations stored'})`,
)

let peak = process.memoryUsage().rss
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
const tokens = benchTokens(SMOLLM2_135M.vocabSize, 100_000)
const trainer = await createTrainer({ model: SMOLLM2_135M, adamw: ADAMW, batchSize: BATCH, threads: THREADS, seed: 1 })
const rates: number[] = []
try {
  const rng = Rng.seeded(2)
  const step = () => trainer.step(tokens, Array.from({ length: BATCH }, () => Math.floor(rng.nextFloat() * (tokens.length - seqLen - 1))), 1e-4)
  await step() // warm-up
  for (let i = 0; i < steps; i++) {
    const started = performance.now()
    await step()
    rates.push((BATCH * seqLen) / ((performance.now() - started) / 1000))
  }
} finally {
  clearInterval(sampler)
  await trainer.close()
}
console.log(`  CLLM     ${median(rates).toFixed(1)} tok/s, peak RSS ${gib(peak)}`)
if (!values['no-torch']) {
  try {
    const out = execFileSync(
      '/usr/bin/python3',
      ['bench/llama_torch.py', '--bench', '--threads', String(THREADS), '--batch', String(BATCH), '--steps', String(steps), '--ctx', String(seqLen)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const torch = JSON.parse(out.trim().split('\n').pop()!) as { tokensPerSecond: number; peakRssBytes: number }
    console.log(`  PyTorch  ${torch.tokensPerSecond.toFixed(1)} tok/s, peak RSS ${gib(torch.peakRssBytes)}`)
  } catch (error) {
    console.log(`  PyTorch not run (${(error as Error).message.split('\n')[0]})`)
  }
}
