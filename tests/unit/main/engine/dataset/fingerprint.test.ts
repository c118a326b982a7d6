import { describe, expect, it } from 'vitest'
import {
  corpusFingerprint,
  datasetFingerprint,
} from '../../../../../src/main/engine/dataset/fingerprint'

describe('corpus fingerprint', () => {
  const documents = [
    { path: 'a.txt', text: 'alpha' },
    { path: 'b/c.md', text: 'gamma' },
  ]

  it('does not depend on document order', () => {
    expect(corpusFingerprint([...documents].reverse())).toBe(corpusFingerprint(documents))
    expect(corpusFingerprint(documents)).toMatch(/^[0-9a-f]{64}$/)
  })

  it('changes when a file is edited (even at the same size), renamed, added or removed', () => {
    const base = corpusFingerprint(documents)
    expect(corpusFingerprint([documents[0], { path: 'b/c.md', text: 'gammb' }])).not.toBe(base)
    expect(corpusFingerprint([documents[0], { path: 'b/d.md', text: 'gamma' }])).not.toBe(base)
    expect(corpusFingerprint([...documents, { path: 'e', text: '' }])).not.toBe(base)
    expect(corpusFingerprint([documents[0]])).not.toBe(base)
  })

  it('binds the corpus to the tokenizer', () => {
    const corpus = corpusFingerprint(documents)
    const a = datasetFingerprint(corpus, { kind: 'bpe', vocabSize: 300, hash: 'x' })
    expect(datasetFingerprint(corpus, { kind: 'bpe', vocabSize: 300, hash: 'y' })).not.toBe(a)
    expect(datasetFingerprint(corpus, { kind: 'word', vocabSize: 300, hash: 'x' })).not.toBe(a)
  })
})
