/**
 * Writes the sample corpus in resources/sample-corpus (or the folder given): `npx tsx
 * scripts/sample-corpus/generate.ts [folder]`. Deterministic: the same seed gives the same files,
 * and a unit test checks that the committed corpus is exactly what this produces.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { codeFiles } from './code'
import { essays, readme } from './essays'
import { generatedFables } from './fables'
import { generatedLetters, generatedPoems } from './letters-poems'
import { generatedNotes } from './notes'
import { Random } from './random'
import { generatedStories } from './stories'

const SEED = 20_250_601

/** Every file of the sample corpus: relative path → text. */
export function sampleCorpusFiles(): Map<string, string> {
  const random = new Random(SEED)
  const files = new Map<string, string>([['README.md', readme]])
  const parts = [
    generatedStories(random, 84),
    generatedFables(random, 60),
    generatedLetters(random, 36),
    generatedPoems(random, 24),
    generatedNotes(random),
    codeFiles(random),
    new Map(Object.entries(essays)),
  ]
  for (const part of parts) for (const [path, text] of part) files.set(path, text)
  return files
}

export const DEFAULT_OUTPUT = resolve(import.meta.dirname, '../../resources/sample-corpus')

export function writeSampleCorpus(folder: string): void {
  rmSync(folder, { recursive: true, force: true })
  for (const [path, text] of sampleCorpusFiles()) {
    const target = join(folder, path)
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, text)
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const folder = resolve(process.argv[2] ?? DEFAULT_OUTPUT)
  writeSampleCorpus(folder)
  const files = sampleCorpusFiles()
  const bytes = [...files.values()].reduce((n, text) => n + Buffer.byteLength(text), 0)
  console.log(`wrote ${files.size} files, ${(bytes / 1024).toFixed(0)} KiB, to ${folder}`)
}
