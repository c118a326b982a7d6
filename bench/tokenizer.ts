/**
 * Tokenizer benchmark: `npm run bench -- tokenizer [--mb 10] [--vocab 8192] [--runs 3]`.
 *
 * Takes about 10 MB of real source code (the .js/.ts files of this repository's node_modules, in a
 * fixed order; generated code-like text if there are not enough), then prints, each beside its
 * target: BPE training time to the vocabulary size on 1 and 2 threads, encoding MB/s on 1 and 2
 * threads and their ratio (medians over the runs; a fresh tokenizer each run so no run finds a
 * warm word cache), and the peak RSS of one train + encode pass in a fresh process.
 * MB = 1,000,000 bytes of UTF-8.
 * Prints figures only; it asserts nothing.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { encodeDocuments } from '../src/main/engine/dataset'
import { Rng } from '../src/main/engine/rng'
import { parseTokenizer, trainTokenizer, type Tokenizer } from '../src/main/engine/tokenizer'

const MB = 1_000_000
const TARGET_TRAIN_S = 20
const TARGET_MB_PER_S_PER_THREAD = 5
const TARGET_SPEEDUP = 1.7

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '10' },
    vocab: { type: 'string', default: '8192' },
    runs: { type: 'string', default: '3' },
    child: { type: 'boolean', default: false },
  },
})
const targetBytes = Number(values.mb) * MB
const vocabSize = Number(values.vocab)
const runs = Math.max(1, Number(values.runs))

if (values.child) await memoryChild()
else await main()

/** Trains, then encodes with 1 and 2 threads, several times each, and prints the figures. */
async function main(): Promise<void> {
  const corpus = collectSourceCode(targetBytes)
  const bytes = corpus.texts.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0)
  console.log(
    `Corpus: ${(bytes / MB).toFixed(1)} MB, ${corpus.texts.length} files (${corpus.source})`,
  )

  const trainTimes = new Map<number, number[]>()
  let tokenizer: Tokenizer | undefined
  for (const threads of [1, 2]) {
    const times: number[] = []
    for (let run = 0; run < runs; run++) {
      const started = performance.now()
      tokenizer = await trainTokenizer(corpus.texts, { kind: 'bpe', vocabSize, threads })
      times.push((performance.now() - started) / 1000)
    }
    trainTimes.set(threads, times)
  }
  const file = tokenizer!.serialize()

  // No run finds a warm word cache. One untimed run per thread count first: it starts (from
  // source: bundles) the pooled workers and warms the JIT, as a long-running engine would be.
  const encodeOnce = async (threads: number): Promise<{ seconds: number; tokens: number }> => {
    // On one thread the main thread encodes: a fresh tokenizer. On more, each worker parses its
    // own copy per job anyway; the trained tokenizer only hands them its (already built) file.
    const encoder = threads === 1 ? parseTokenizer(file, 'tokenizer.json') : tokenizer!
    const started = performance.now()
    const stream = await encodeDocuments(corpus.texts, encoder, { threads })
    return {
      seconds: (performance.now() - started) / 1000,
      tokens: stream.tokens.length - corpus.texts.length,
    }
  }
  const speeds = new Map<number, number[]>()
  let tokenCount = 0
  for (const threads of [1, 2]) {
    await encodeOnce(threads)
    const figures: number[] = []
    for (let run = 0; run < runs; run++) {
      const { seconds, tokens } = await encodeOnce(threads)
      figures.push(bytes / MB / seconds)
      tokenCount = tokens
    }
    speeds.set(threads, figures)
  }

  const memory = measureMemoryInChild()
  const train1 = median(trainTimes.get(1)!)
  const train2 = median(trainTimes.get(2)!)
  const one = median(speeds.get(1)!)
  const two = median(speeds.get(2)!)
  const rssTarget = 3 * bytes + 200 * MB
  const verdict = (ok: boolean): string => (ok ? 'meets target' : 'MISSES target')
  const rows: Array<[string, string, string, string]> = [
    [
      `BPE training to vocab ${vocabSize.toLocaleString('en')}, 1 thread`,
      `${train1.toFixed(2)} s`,
      `≤ ${TARGET_TRAIN_S} s`,
      verdict(train1 <= TARGET_TRAIN_S),
    ],
    [
      `BPE training to vocab ${vocabSize.toLocaleString('en')}, 2 threads`,
      `${train2.toFixed(2)} s`,
      `≤ ${TARGET_TRAIN_S} s`,
      verdict(train2 <= TARGET_TRAIN_S),
    ],
    [
      'Encoding, 1 thread',
      `${one.toFixed(1)} MB/s`,
      `≥ ${TARGET_MB_PER_S_PER_THREAD} MB/s`,
      verdict(one >= TARGET_MB_PER_S_PER_THREAD),
    ],
    [
      'Encoding, 2 threads',
      `${two.toFixed(1)} MB/s (${(two / 2).toFixed(1)} per thread)`,
      `≥ ${TARGET_MB_PER_S_PER_THREAD} MB/s per thread`,
      verdict(two / 2 >= TARGET_MB_PER_S_PER_THREAD),
    ],
    [
      'Speed-up, 2 threads vs 1',
      `${(two / one).toFixed(2)}×`,
      `≥ ${TARGET_SPEEDUP}×`,
      verdict(two / one >= TARGET_SPEEDUP),
    ],
    [
      'Peak RSS, train + encode on 2 threads',
      memory ? `${(memory.peak / MB).toFixed(0)} MB` : 'not measured',
      `≤ ${(rssTarget / MB).toFixed(0)} MB (3 × corpus + 200 MB)`,
      memory ? verdict(memory.peak <= rssTarget) : '',
    ],
  ]
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c].length)))
  for (const row of rows) {
    console.log(
      `${row[0].padEnd(widths[0])}  ${row[1].padStart(widths[1])}   target ${row[2].padEnd(widths[2])}  ${row[3]}`,
    )
  }
  console.log(
    `(${runs} runs each. Training ${fmt(trainTimes.get(1)!)} s on 1 thread, ${fmt(trainTimes.get(2)!)} s on 2. ` +
      `Encoding ${fmt(speeds.get(1)!)} MB/s on 1 thread, ${fmt(speeds.get(2)!)} MB/s on 2. ` +
      `${tokenCount.toLocaleString('en')} tokens, ${(bytes / tokenCount).toFixed(2)} bytes per token.` +
      (memory
        ? ` Peak RSS measured in a fresh process that only loads the corpus, trains and encodes; it started at ${(memory.start / MB).toFixed(0)} MB (Node + tsx).)`
        : ')'),
  )
}

/** One realistic pass (train and encode on 2 threads) in a fresh process: its peak RSS. */
function measureMemoryInChild(): { peak: number; start: number } | undefined {
  const child = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--child',
      '--mb',
      String(values.mb),
      '--vocab',
      String(vocabSize),
    ],
    { encoding: 'utf8' },
  )
  const line = child.stdout?.trim().split('\n').pop()
  try {
    return JSON.parse(line ?? '') as { peak: number; start: number }
  } catch {
    console.error(`The memory measurement failed: ${child.stderr}`)
    return undefined
  }
}

async function memoryChild(): Promise<void> {
  const start = process.memoryUsage().rss
  const corpus = collectSourceCode(targetBytes)
  const tokenizer = await trainTokenizer(corpus.texts, { kind: 'bpe', vocabSize, threads: 2 })
  await encodeDocuments(corpus.texts, tokenizer, { threads: 2 })
  console.log(JSON.stringify({ peak: process.resourceUsage().maxRSS * 1024, start }))
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function fmt(values: number[]): string {
  return values.map((v) => v.toFixed(1)).join(', ')
}

/** Source files from node_modules in sorted order (no minified bundles), up to `limit` bytes. */
function collectSourceCode(limit: number): { texts: string[]; source: string } {
  const texts: string[] = []
  let total = 0
  const walk = (dir: string): void => {
    let names: string[]
    try {
      names = readdirSync(dir).sort()
    } catch {
      return
    }
    for (const name of names) {
      if (total >= limit) return
      const path = join(dir, name)
      let info
      try {
        info = statSync(path)
      } catch {
        continue
      }
      if (info.isDirectory()) {
        if (name !== '.bin' && name !== '.cache') walk(path)
      } else if (
        /\.(m?js|cjs|ts)$/.test(name) &&
        !/\.min\.js$/.test(name) &&
        info.size > 0 &&
        info.size < 256 * 1024
      ) {
        const text = readFileSync(path, 'utf8')
        texts.push(text)
        total += Buffer.byteLength(text, 'utf8')
      }
    }
  }
  walk('node_modules')
  if (total >= limit) return { texts, source: 'source code from node_modules' }
  // Not enough real code here: top up with generated code-like text.
  const rng = Rng.seeded(1)
  const words = [
    'const',
    'let',
    'return',
    'function',
    'value',
    'index',
    'result',
    'if',
    'for',
    'await',
    'buffer',
    'length',
  ]
  while (total < limit) {
    let text = ''
    for (let line = 0; line < 400; line++) {
      const indent = '  '.repeat(rng.nextInt(4))
      const parts = Array.from(
        { length: 3 + rng.nextInt(6) },
        () => words[rng.nextInt(words.length)],
      )
      text += `${indent}${parts.join(' ')}(${rng.nextInt(1000)});\n`
    }
    texts.push(text)
    total += text.length
  }
  return { texts, source: 'node_modules source topped up with generated code' }
}
