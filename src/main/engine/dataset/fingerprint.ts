/**
 * Identities for a corpus and a dataset. The corpus fingerprint covers each document's path, size
 * and a hash of its content (sorted by path): it changes whenever a file is added, removed, renamed
 * or edited, and not when a file is only touched. A run records it with its tokenizer's identity,
 * so that resuming on a changed corpus is detected.
 */
import { createHash } from 'node:crypto'

export interface CorpusDocument {
  /** Path relative to the corpus root. */
  path: string
  text: string
}

export interface TokenizerIdentity {
  kind: string
  vocabSize: number
  /** SHA-256 of the tokenizer's file. */
  hash: string
}

export function corpusFingerprint(documents: readonly CorpusDocument[]): string {
  const entries = documents
    .map((document) => ({
      path: document.path,
      bytes: Buffer.byteLength(document.text, 'utf8'),
      hash: createHash('sha256').update(document.text, 'utf8').digest('hex'),
    }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const hash = createHash('sha256')
  for (const entry of entries) hash.update(`${entry.path}\0${entry.bytes}\0${entry.hash}\n`)
  return hash.digest('hex')
}

/** The corpus and the tokenizer together: what a checkpoint's data must match to resume. */
export function datasetFingerprint(corpus: string, tokenizer: TokenizerIdentity): string {
  return createHash('sha256')
    .update(
      JSON.stringify({ corpus, tokenizer: [tokenizer.kind, tokenizer.vocabSize, tokenizer.hash] }),
    )
    .digest('hex')
}
