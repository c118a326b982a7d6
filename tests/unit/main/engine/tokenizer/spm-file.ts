/**
 * A SentencePiece-style BPE `tokenizer.json` (the shape of TinyLlama's and Llama 2's) built in the
 * test from a corpus, no download: `<unk>`, `<s>`, `</s>`, the 256 `<0xNN>` byte tokens, then the
 * corpus's common characters and merges learned over them (▁ for a space, as SentencePiece does).
 * Characters seen fewer than `minCount` times are left out of the vocabulary, so they fall back
 * to bytes; `\n` is left out as in Llama's vocabulary. Merges may join ▁ to ▁ (indentation), as
 * Llama's `▁▁`, `▁▁▁▁` tokens do.
 */

export type SpmJson = Record<string, unknown> & {
  model: Record<string, unknown> & { vocab: Record<string, number>; merges: string[][] }
  added_tokens: Array<Record<string, unknown>>
}

const META = '\u2581'

const special = (id: number, content: string): Record<string, unknown> => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
})

/** Llama 2 / TinyLlama sections: Prepend + Replace normalizer, no pre-tokenizer. */
export const PREPEND_SECTIONS = {
  normalizer: {
    type: 'Sequence',
    normalizers: [
      { type: 'Prepend', prepend: META },
      { type: 'Replace', pattern: { String: ' ' }, content: META },
    ],
  },
  pre_tokenizer: null,
}

/** The non-legacy conversion: no normalizer, Metaspace (no split) does both. */
export const metaspaceSections = (prependScheme: 'first' | 'always' | 'never'): object => ({
  normalizer: null,
  pre_tokenizer: { type: 'Metaspace', replacement: META, prepend_scheme: prependScheme, split: false },
})

export const SPM_DECODER = {
  type: 'Sequence',
  decoders: [
    { type: 'Replace', pattern: { String: META }, content: ' ' },
    { type: 'ByteFallback' },
    { type: 'Fuse' },
    { type: 'Strip', content: ' ', start: 1, stop: 0 },
  ],
}

export const BOS_PROCESSOR = {
  type: 'TemplateProcessing',
  single: [
    { SpecialToken: { id: '<s>', type_id: 0 } },
    { Sequence: { id: 'A', type_id: 0 } },
  ],
  pair: [
    { SpecialToken: { id: '<s>', type_id: 0 } },
    { Sequence: { id: 'A', type_id: 0 } },
    { SpecialToken: { id: '<s>', type_id: 1 } },
    { Sequence: { id: 'B', type_id: 1 } },
  ],
  special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
}

/**
 * `allSplits`: the merges written as Hugging Face converts a SentencePiece model (Llama 2's file):
 * every split of every token into two tokens, in the token's order, then by the parts' ids.
 */
export function buildSpmFile(corpus: string, merges: number, minCount = 3, allSplits = false): SpmJson {
  const normalized = corpus.replaceAll(' ', META)
  const counts = new Map<string, number>()
  for (const char of normalized) counts.set(char, (counts.get(char) ?? 0) + 1)
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 }
  let next = 3
  for (let byte = 0; byte < 256; byte++)
    vocab[`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`] = next++
  const alphabet = [...counts]
    .filter(([char, count]) => count >= minCount && char !== '\n')
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  for (const [char] of alphabet) vocab[char] = next++

  // Words: a run of ▁ and what follows up to the next ▁ after a non-▁ (SentencePiece's pieces),
  // cut at characters outside the vocabulary.
  const words = new Map<string, number>()
  for (const word of normalized.match(new RegExp(`${META}*[^${META}]*`, 'gu')) ?? []) {
    for (const part of word.split(/(?:)/u).reduce<string[][]>((parts, char) => {
      if (!(char in vocab)) parts.push([])
      else parts[parts.length - 1].push(char)
      return parts
    }, [[]])) {
      if (part.length > 1) {
        const key = part.join('\u0000')
        words.set(key, (words.get(key) ?? 0) + 1)
      }
    }
  }
  let symbols = [...words].map(([key, count]) => ({ parts: key.split('\u0000'), count }))
  const learned: string[][] = []
  for (let m = 0; m < merges; m++) {
    const pairs = new Map<string, number>()
    for (const { parts, count } of symbols)
      for (let i = 0; i + 1 < parts.length; i++) {
        const key = `${parts[i]}\u0000${parts[i + 1]}`
        pairs.set(key, (pairs.get(key) ?? 0) + count)
      }
    let best: string | undefined
    let bestCount = 1
    for (const [key, count] of pairs)
      if (count > bestCount || (count === bestCount && best !== undefined && key < best)) {
        best = key
        bestCount = count
      }
    if (best === undefined) break
    const [left, right] = best.split('\u0000')
    if (!(left + right in vocab)) vocab[left + right] = next++
    learned.push([left, right])
    symbols = symbols.map(({ parts, count }) => {
      const out: string[] = []
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && parts[i] === left && parts[i + 1] === right) {
          out.push(left + right)
          i++
        } else out.push(parts[i])
      }
      return { parts: out, count }
    })
  }
  const written = allSplits ? everySplit(vocab) : learned
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    ...PREPEND_SECTIONS,
    post_processor: BOS_PROCESSOR,
    decoder: SPM_DECODER,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges: written,
    },
  }
}

function everySplit(vocab: Record<string, number>): string[][] {
  const splits: Array<[string, string, number, number, number]> = []
  for (const [token, id] of Object.entries(vocab)) {
    const chars = Array.from(token)
    for (let i = 1; i < chars.length; i++) {
      const left = chars.slice(0, i).join('')
      const right = chars.slice(i).join('')
      if (left in vocab && right in vocab) splits.push([left, right, id, vocab[left], vocab[right]])
    }
  }
  splits.sort((a, b) => a[2] - b[2] || a[3] - b[3] || a[4] - b[4])
  return splits.map(([left, right]) => [left, right])
}
