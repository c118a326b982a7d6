/**
 * Generation benchmark: `npm run bench -- generate [--prompt 1000] [--tokens 16] [--recompute-tokens 2]
 * [--model 124m|small]`.
 *
 * Tokens/s of next-token logits (what generation asks per token) on the GPT-2 124M shape (vocab
 * 50,257, context 1024, d 768, 12 layers, 12 heads, random init) after a prompt of --prompt tokens,
 * so the window is near 1024: with the key/value cache (one position per token) and recomputing the
 * whole window per token (generation before the cache), interleaved token by token. The prompt's own
 * pass (prefill) is timed apart. Prints figures only; asserts nothing.
 */
import { execFileSync } from 'node:child_process'
import { availableParallelism, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import type { ModelConfig, Trainer } from '../src/main/engine/model/trainer'
import { Rng } from '../src/main/engine/rng'
import { createTrainer } from '../src/main/engine/spheres/pool'
import { ADAMW, median } from './train'

const MODELS: Record<string, ModelConfig> = {
  '124m': { vocabSize: 50_257, seqLen: 1024, dModel: 768, nLayers: 12, nHeads: 12 },
  small: { vocabSize: 4096, seqLen: 128, dModel: 256, nLayers: 4, nHeads: 8 },
}
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: '124m' },
    prompt: { type: 'string' },
    tokens: { type: 'string', default: '16' },
    'recompute-tokens': { type: 'string', default: '2' },
  },
})
const model = MODELS[values.model]
if (!model) throw new Error(`unknown model ${values.model}; known: ${Object.keys(MODELS).join(', ')}`)
const promptLength = Math.min(model.seqLen - 1, Number(values.prompt ?? model.seqLen - 24))
const tokens = Math.max(1, Math.min(model.seqLen - promptLength, Number(values.tokens)))
const recomputeTokens = Math.max(1, Math.min(tokens, Number(values['recompute-tokens'])))
execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--if-stale'], { stdio: 'inherit' })

const open = (kvCache: boolean) => createTrainer({ model, adamw: ADAMW, batchSize: 1, threads: 1, seed: 1, kvCache })
const rng = Rng.seeded(4)
const prompt = Array.from({ length: promptLength }, () => Math.floor(rng.nextFloat() * model.vocabSize))

console.log(`Next-token logits, ${values.model} (vocab ${model.vocabSize}, context ${model.seqLen}, d ${model.dModel}, ${model.nLayers} layers, ${model.nHeads} heads), random init, 1 thread`)
console.log(`prompt ${promptLength} tokens, then ${tokens} tokens with the cache and ${recomputeTokens} recomputing the window; ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)

/** Seconds of each call as the context grows token by token from the prompt (greedy). */
async function run(trainer: Trainer, count: number): Promise<{ prefill: number; perToken: number[] }> {
  const context = [...prompt]
  let started = performance.now()
  let logits = await trainer.logits(context)
  const prefill = (performance.now() - started) / 1000
  const perToken: number[] = []
  for (let i = 0; i < count; i++) {
    context.push(logits.indexOf(Math.max(...logits)))
    started = performance.now()
    logits = await trainer.logits(context)
    perToken.push((performance.now() - started) / 1000)
  }
  return { prefill, perToken }
}

const cached = await open(true)
const recompute = await open(false)
try {
  // Alternate the two so a burst of load elsewhere on the machine hits both alike.
  const a = await run(recompute, recomputeTokens)
  const b = await run(cached, tokens)
  const c = await run(recompute, recomputeTokens)
  const recomputeSeconds = median([...a.perToken, ...c.perToken])
  const cachedSeconds = median(b.perToken)
  console.log(`\n${'mode'.padEnd(26)}${'tokens/s'.padStart(10)}${'ms/token'.padStart(11)}${'prefill s'.padStart(11)}`)
  console.log(`${'recompute the window'.padEnd(26)}${(1 / recomputeSeconds).toFixed(2).padStart(10)}${(recomputeSeconds * 1000).toFixed(0).padStart(11)}${median([a.prefill, c.prefill]).toFixed(1).padStart(11)}`)
  console.log(`${'key/value cache'.padEnd(26)}${(1 / cachedSeconds).toFixed(2).padStart(10)}${(cachedSeconds * 1000).toFixed(0).padStart(11)}${b.prefill.toFixed(1).padStart(11)}`)
  console.log(`speed-up ${(recomputeSeconds / cachedSeconds).toFixed(1)}× (target ≥ 10×); medians per token; load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)
} finally {
  await cached.close()
  await recompute.close()
}
