/**
 * Corpus loader benchmark: `npm run bench -- corpus [--files 10000] [--mb 100] [--runs 5] [--keep]`.
 *
 * Generates a tree of text-like files (nested folders) in a temporary folder, warms the disk cache
 * by reading every file once, then times loadCorpus in a fresh child process (so its peak RSS is
 * the loader's, not the generator's): median files/s and MiB/s over the runs, and the peak RSS,
 * each beside its target (MiB throughout: 1 MiB = 1,048,576 bytes, a little stricter than MB).
 * Prints figures only; it asserts nothing.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadCorpus } from '../src/main/engine/corpus'

const MiB = 1024 * 1024
const TARGET_MB_PER_S = 150

interface RunFigures {
  ms: number
  files: number
  bytes: number
}

interface ChildReport {
  runs: RunFigures[]
  rssBeforeMiB: number
  peakRssMiB: number
  /** Median ms to allocate and fill fresh memory the size of the corpus: a floor no loader can beat. */
  freshMemoryMs: number
  /** Median ms of the simplest loader: readdirSync walk, readFileSync, toString, nothing checked. */
  naiveMs: number
}

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '10000' },
    mb: { type: 'string', default: '100' },
    runs: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
})

if (values.child !== undefined) {
  await runChild(values.child, Number(values.runs))
} else {
  await runParent(Number(values.files), Number(values.mb), Number(values.runs), values.keep)
}

async function runParent(
  fileCount: number,
  megabytes: number,
  runs: number,
  keep: boolean,
): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'cllm-bench-corpus-'))
  try {
    const started = performance.now()
    const corpusBytes = generateTree(root, fileCount, megabytes * MiB)
    const generatedMs = performance.now() - started
    console.log(
      `corpus: ${fileCount} files, ${(corpusBytes / MiB).toFixed(1)} MiB in ${root} ` +
        `(generated in ${(generatedMs / 1000).toFixed(1)} s)`,
    )
    warmCache(root)

    // The child inherits tsx's loader flags; --expose-gc lets it drop one run's corpus before the next.
    const child = spawnSync(
      process.execPath,
      [
        ...process.execArgv,
        '--expose-gc',
        new URL(import.meta.url).pathname,
        '--child',
        root,
        '--runs',
        String(runs),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * MiB },
    )
    if (child.status !== 0) throw new Error(`benchmark child failed with status ${child.status}`)
    const report = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as ChildReport
    printReport(report, corpusBytes)
  } finally {
    if (keep) console.log(`kept ${root}`)
    else rmSync(root, { recursive: true, force: true })
  }
}

async function runChild(root: string, runs: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc
  const figures: RunFigures[] = []
  gc?.()
  const rssBeforeMiB = process.memoryUsage().rss / MiB
  for (let run = 0; run < runs; run++) {
    const started = performance.now()
    let corpus: Awaited<ReturnType<typeof loadCorpus>> | undefined = await loadCorpus({
      folder: root,
    })
    const ms = performance.now() - started
    figures.push({ ms, files: corpus.summary.totals.files, bytes: corpus.summary.totals.bytes })
    corpus = undefined
    gc?.()
  }
  const peakRssMiB = process.resourceUsage().maxRSS / 1024 // maxRSS is in KiB
  // Measured after the peak RSS was taken, so they do not count in it.
  const freshMemoryMs = median([0, 1, 2].map(() => timeFreshMemory(figures[0].bytes)))
  const naiveMs = median([0, 1, 2].map(() => timeNaiveLoad(root)))
  const report: ChildReport = { runs: figures, rssBeforeMiB, peakRssMiB, freshMemoryMs, naiveMs }
  process.stdout.write(`${JSON.stringify(report)}\n`)
}

/**
 * Allocates `bytes` of new memory in 4 MiB pieces, writes every page once, and frees it. A loaded
 * corpus has to occupy that much new memory, so this is the speed limit the machine sets; in some
 * virtual machines first-touch page faults make it far slower than copying.
 */
function timeFreshMemory(bytes: number): number {
  const started = performance.now()
  const pieces: Buffer[] = []
  for (let left = bytes; left > 0; left -= 4 * MiB)
    pieces.push(Buffer.alloc(Math.min(left, 4 * MiB), 1))
  const ms = performance.now() - started
  pieces.length = 0
  ;(globalThis as { gc?: () => void }).gc?.()
  return ms
}

/** The simplest loader one could write, for comparison: no filters, no counts, no progress. */
function timeNaiveLoad(root: string): number {
  const started = performance.now()
  const texts: string[] = []
  const visit = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name)
      if (entry.isDirectory()) visit(path)
      else texts.push(readFileSync(path).toString('utf8'))
    }
  }
  visit(root)
  const ms = performance.now() - started
  texts.length = 0
  ;(globalThis as { gc?: () => void }).gc?.()
  return ms
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function printReport(report: ChildReport, corpusBytes: number): void {
  const medianMs = median(report.runs.map((r) => r.ms))
  const { files, bytes } = report.runs[0]
  const mbPerS = bytes / MiB / (medianMs / 1000)
  const filesPerS = files / (medianMs / 1000)
  const rssTarget = (2 * corpusBytes) / MiB + 100

  console.log(`runs (ms): ${report.runs.map((r) => r.ms.toFixed(0)).join(', ')}`)
  console.log(`loaded: ${files} files, ${(bytes / MiB).toFixed(1)} MiB per run`)
  console.log(`median: ${medianMs.toFixed(0)} ms`)
  console.log(`files/s: ${filesPerS.toFixed(0)}`)
  console.log(
    `MiB/s:   ${mbPerS.toFixed(0)}   (target >= ${TARGET_MB_PER_S})  ${verdict(mbPerS >= TARGET_MB_PER_S)}`,
  )
  const naiveMbPerS = bytes / MiB / (report.naiveMs / 1000)
  console.log(
    `for scale: a naive loader (readFileSync + toString, no checks) ${report.naiveMs.toFixed(0)} ms = ` +
      `${naiveMbPerS.toFixed(0)} MiB/s; loadCorpus runs at ${(mbPerS / naiveMbPerS).toFixed(2)}x its speed`,
  )
  console.log(
    `for scale: filling ${(bytes / MiB).toFixed(0)} MiB of fresh memory alone takes ${report.freshMemoryMs.toFixed(0)} ms ` +
      `here (${(bytes / MiB / (report.freshMemoryMs / 1000)).toFixed(0)} MiB/s)`,
  )
  console.log(
    `peak RSS: ${report.peakRssMiB.toFixed(0)} MiB (before the first run ${report.rssBeforeMiB.toFixed(0)} MiB)` +
      `   (target < 2 x corpus + 100 = ${rssTarget.toFixed(0)} MiB)  ${verdict(report.peakRssMiB < rssTarget)}`,
  )
}

function verdict(met: boolean): string {
  return met ? 'met' : 'NOT met'
}

/**
 * Writes `fileCount` files totalling about `totalBytes` in folders 3 levels deep (10 × 10 × n),
 * sizes varying around the mean, content English-like words and lines. Deterministic.
 */
function generateTree(root: string, fileCount: number, totalBytes: number): number {
  let seed = 0x9e3779b9
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  const pool = textPool(4 * MiB, random)
  const mean = totalBytes / fileCount
  let written = 0
  for (let i = 0; i < fileCount; i++) {
    const folder = join(root, `part-${i % 10}`, `section-${Math.floor(i / 10) % 10}`)
    if (i < 100) mkdirSync(folder, { recursive: true })
    const remaining = totalBytes - written
    const size =
      i === fileCount - 1
        ? remaining
        : Math.max(1, Math.min(remaining, Math.round(mean * (0.25 + 1.5 * random()))))
    const start = Math.floor(random() * (pool.length - size))
    writeFileSync(
      join(folder, `doc-${String(i).padStart(5, '0')}.txt`),
      pool.subarray(start, start + size),
    )
    written += size
  }
  return written
}

/** A buffer of word-salad English: lines of 5–15 words, paragraphs of 3–8 lines. */
function textPool(bytes: number, random: () => number): Buffer {
  const words = (
    'the a of and to in is was for on that with as it his her they at by from this had not be are but ' +
    'model river light stone garden window morning letter number kernel sphere thread memory corpus token ' +
    'quiet small bright old new early late green cold warm walked read wrote found carried opened counted'
  ).split(' ')
  const parts: string[] = []
  let length = 0
  while (length < bytes) {
    const lines = 3 + Math.floor(random() * 6)
    for (let l = 0; l < lines; l++) {
      const count = 5 + Math.floor(random() * 11)
      const line: string[] = []
      for (let w = 0; w < count; w++) line.push(words[Math.floor(random() * words.length)])
      const text = `${line.join(' ')}.\n`
      parts.push(text.charAt(0).toUpperCase() + text.slice(1))
      length += text.length
    }
    parts.push('\n')
    length++
  }
  return Buffer.from(parts.join('')).subarray(0, bytes)
}

function warmCache(root: string): void {
  const visit = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name)
      if (entry.isDirectory()) visit(path)
      else readFileSync(path)
    }
  }
  visit(root)
}
