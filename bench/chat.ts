/**
 * `npm run bench -- chat [--steps 20] [--rounds 3] [file.jsonl]`: packed against padded chat windows.
 *
 * The same conversations, prepared as a run prepares them (template, tokenizer, loss on the answers),
 * laid out packed (several per window, attention kept inside each) or padded (one per window), then
 * trained on the real sphere pool, GPT-2 and Llama, the two layouts taking turns, `rounds` times.
 * The figure that matters is useful tokens per second: targets that carry the loss (answer tokens)
 * per second of training step, a median over all steps. Both layouts are exact (tests/unit/main/
 * engine/spheres/packed.test.ts), so the faster one is what a run should use.
 *
 * Default data: conversations built from resources/sample-corpus with prompt and answer lengths spread
 * like instruction sets (prompts 4 to 80 words, answers 8 to 200, log-uniform), seeded. Prints figures
 * only; asserts nothing. Wall time on a shared machine wanders: compare medians from one run.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_TEMPLATE_SOURCE } from '../src/main/engine/chat/model-template'
import { prepareDataset, type PreparedDataset } from '../src/main/engine/dataset/prepare'
import { Sampler } from '../src/main/engine/dataset/sampler'
import type { ModelConfig } from '../src/main/engine/model/trainer'
import { createTrainer } from '../src/main/engine/spheres/pool'
import type { ChatPacking } from '../src/shared/chat'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { steps: { type: 'string', default: '20' }, rounds: { type: 'string', default: '3' } },
})
const STEPS = Number(values.steps)
const ROUNDS = Number(values.rounds)
const SEQ_LEN = 256
const BATCH = 8
const THREADS = 2
execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--if-stale'], { stdio: 'inherit' })

/** Seeded uniform in [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

/** Conversations from the sample corpus's words: `count` lines of {"messages": [user, assistant]}. */
function sampleConversations(count: number): string {
  const words = filesUnder('resources/sample-corpus').flatMap((f) => readFileSync(f, 'utf8').split(/\s+/).filter(Boolean))
  const random = rng(11)
  const span = (min: number, max: number): string => {
    const n = Math.round(Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min))))
    const from = Math.floor(random() * (words.length - n))
    return words.slice(from, from + n).join(' ')
  }
  const lines: string[] = []
  for (let i = 0; i < count; i++) {
    lines.push(JSON.stringify({ messages: [{ role: 'user', content: span(4, 80) }, { role: 'assistant', content: span(8, 200) }] }))
  }
  return lines.join('\n') + '\n'
}

const documents = positionals.length
  ? positionals.map((path) => ({ path: relative('.', path), text: readFileSync(path, 'utf8') }))
  : [{ path: 'sample-chat.jsonl', text: sampleConversations(600) }]

const models: Record<string, ModelConfig> = {
  gpt2: { vocabSize: 1024, seqLen: SEQ_LEN, dModel: 128, nLayers: 4, nHeads: 4 },
  llama: {
    architecture: 'llama', vocabSize: 1024, seqLen: SEQ_LEN, dModel: 128, nLayers: 4, nHeads: 4, nKvHeads: 2, ffnDim: 344,
    ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true, qkvBias: false,
  },
}

async function prepare(packing: ChatPacking, dir: string): Promise<PreparedDataset> {
  return prepareDataset({
    documents, tokenizer: { kind: 'bpe', vocabSize: 1024 }, runDir: dir, seqLen: SEQ_LEN, seed: 1,
    chat: { template: DEFAULT_TEMPLATE_SOURCE, lossOn: 'answers', packing },
  })
}

/** Per step: loss-bearing targets per second. */
async function measure(model: ModelConfig, data: PreparedDataset): Promise<number[]> {
  const trainer = await createTrainer({
    model, threads: THREADS, batchSize: BATCH, seed: 3,
    adamw: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 },
  })
  const sampler = new Sampler({ range: data.split.train, seqLen: SEQ_LEN, batchSize: BATCH, seed: 5, stride: data.windowStride })
  const rates: number[] = []
  try {
    for (let s = 0; s <= STEPS; s++) {
      const starts = sampler.nextStarts()
      let useful = 0
      for (const start of starts) for (let j = 1; j <= SEQ_LEN; j++) useful += data.mask![start + j]
      const t0 = performance.now()
      await trainer.step(data.tokens, starts, 1e-3, data.mask, data.positions)
      // Step 0 warms the pool up; it is not counted.
      if (s > 0) rates.push(useful / ((performance.now() - t0) / 1000))
    }
  } finally {
    await trainer.close()
  }
  return rates
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const dir = mkdtempSync(join(tmpdir(), 'cllm-bench-chat-'))
try {
  const layouts: ChatPacking[] = ['padded', 'packed']
  const data = new Map<ChatPacking, PreparedDataset>()
  for (const packing of layouts) data.set(packing, await prepare(packing, join(dir, packing)))
  console.log(`Chat windows, packed against padded: ${documents.map((d) => d.path).join(', ')}; seq-len ${SEQ_LEN}, batch ${BATCH}, ${THREADS} threads, ` +
    `${STEPS} steps × ${ROUNDS} rounds each; ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)
  for (const packing of layouts) {
    const c = data.get(packing)!.summary.chat!
    console.log(`  ${packing.padEnd(7)} ${c.conversations} conversations in ${c.windows} windows; ${c.answerTokens} answer and ${c.promptTokens} prompt tokens, ` +
      `${c.padTokens} padding; ${(c.lossShare * 100).toFixed(1)}% of the positions carry the loss`)
  }
  for (const [name, model] of Object.entries(models)) {
    const rates = new Map<ChatPacking, number[]>(layouts.map((p) => [p, []]))
    for (let round = 0; round < ROUNDS; round++) {
      for (const packing of layouts) rates.get(packing)!.push(...(await measure(model, data.get(packing)!)))
    }
    const [padded, packed] = layouts.map((p) => median(rates.get(p)!))
    console.log(`${name}: useful (answer) tokens/s, median of ${rates.get('packed')!.length} steps: padded ${padded.toFixed(0)}, packed ${packed.toFixed(0)} (${(packed / padded).toFixed(2)}×)`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
