/**
 * A corpus encoded with a SentencePiece-style tokenizer (TinyLlama / Llama 2): each file is a
 * document, and its ids in the stream are exactly what Hugging Face's tokenizer gives for the file
 * (`<s>`, then ▁ before the first word, as `encode(file)` with special tokens), however the file is
 * cut: into pieces across worker threads, or into train and validation segments by the blocks
 * split (a later segment continues the file: no `<s>`, no ▁ in front).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prepareDataset } from '../../../../../src/main/engine/dataset'
import { encodeDocuments } from '../../../../../src/main/engine/dataset/encode'
import { parseTokenizer, type Tokenizer } from '../../../../../src/main/engine/tokenizer'
import { mixedText } from '../tokenizer/mixed-text'
import { buildSpmFile, type SpmJson } from '../tokenizer/spm-file'

let root: string
let file: SpmJson
let ours: Tokenizer
let theirs: HfTokenizer
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cllm-spm-dataset-'))
  file = buildSpmFile(mixedText(60_000, 3), 500)
  ours = parseTokenizer(JSON.stringify(file), 'tokenizer.json')
  theirs = new HfTokenizer(file, {})
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

const documents = [
  { path: 'a.ts', text: mixedText(40_000, 1) },
  { path: 'b.md', text: '  starts with spaces\nand\n\nlines ' },
  { path: 'c.txt', text: mixedText(9_000, 2) },
]
const hf = (text: string): number[] => theirs.encode(text).ids

describe('a SentencePiece-style corpus', () => {
  it('encodes each document as Hugging Face encodes the file, cut into pieces over worker threads', async () => {
    const stream = await encodeDocuments(
      documents.map((d) => d.text),
      ours,
      { threads: 2, pieceChars: 1_000 },
    )
    documents.forEach((document, d) => {
      const ids = [...stream.tokens.subarray(stream.starts[d], stream.starts[d] + stream.lengths[d])]
      expect(ids[0]).toBe(ours.beginOfText)
      expect(ids).toEqual(hf(document.text))
      expect(stream.tokens[stream.starts[d] + stream.lengths[d]]).toBe(ours.endOfText)
    })
  })

  it('a text that continues a document gets neither <s> nor ▁', async () => {
    const text = documents[0].text
    const safe = /\S\n(?=\S)/g // where chunks.ts cuts
    safe.lastIndex = 20_000
    const cut = (safe.exec(text)?.index ?? -3) + 2
    expect(cut).toBeGreaterThan(20_000)
    const stream = await encodeDocuments([text.slice(0, cut), text.slice(cut)], ours, {
      threads: 1,
      continues: [false, true],
    })
    const joined = [
      ...stream.tokens.subarray(0, stream.lengths[0]),
      ...stream.tokens.subarray(stream.starts[1], stream.starts[1] + stream.lengths[1]),
    ]
    expect(joined).toEqual(hf(text))
  })

  it('the blocks split keeps each file, segments put back together, as Hugging Face encodes it', async () => {
    const prepared = await prepareDataset({
      documents,
      tokenizer: ours,
      runDir: join(root, 'run'),
      seqLen: 16,
      threads: 2,
    })
    const segments = prepared.manifest.documents
    // The large file is on both sides of the split, so it was cut into segments.
    expect(new Set(segments.filter((s) => s.path === 'a.ts').map((s) => s.split)).size).toBe(2)
    for (const document of documents) {
      const mine = segments
        .filter((segment) => segment.path === document.path)
        .map((segment) => [...prepared.tokens.subarray(segment.start, segment.start + segment.tokens)])
      // Segments are in stream order (train first); put back in file order by their first ids' place.
      const ids = hf(document.text)
      const ordered = mine.sort((x, y) => offsetIn(ids, x) - offsetIn(ids, y)).flat()
      expect(ordered).toEqual(ids)
    }
  })
})

/** Where `part` occurs in `ids` (-1 if not found). */
function offsetIn(ids: number[], part: number[]): number {
  outer: for (let i = 0; i + part.length <= ids.length; i++) {
    for (let j = 0; j < part.length; j++) if (ids[i + j] !== part[j]) continue outer
    return i
  }
  return -1
}
