import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers'
import { beforeAll, describe, expect, it } from 'vitest'
import { BpeTokenizer, END_OF_TEXT, trainTokenizer } from '../../../../../src/main/engine/tokenizer'
import { mixedText } from './mixed-text'

let tokenizer: BpeTokenizer
beforeAll(async () => {
  tokenizer = (await trainTokenizer([mixedText(300_000, 11)], {
    kind: 'bpe',
    vocabSize: 2000,
  })) as BpeTokenizer
})

/** Merges by rank, leftmost first, one at a time, straight from the file: no cache, no heap. */
function naiveEncode(file: string, text: string): number[] {
  const json = JSON.parse(file) as { model: { vocab: Record<string, number>; merges: string[] } }
  const ranks = new Map(json.model.merges.map((merge, rank) => [merge, rank]))
  const byteChar = (b: number): string => {
    const printable =
      (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff)
    if (printable) return String.fromCharCode(b)
    let shift = 0
    for (let x = 0; x < b; x++)
      if (!((x >= 0x21 && x <= 0x7e) || (x >= 0xa1 && x <= 0xac) || (x >= 0xae && x <= 0xff)))
        shift++
    return String.fromCharCode(256 + shift)
  }
  const ids: number[] = []
  for (const word of text.match(
    /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu,
  ) ?? []) {
    const parts = [...new TextEncoder().encode(word)].map(byteChar)
    for (;;) {
      let best = -1
      let bestRank = Infinity
      for (let i = 0; i + 1 < parts.length; i++) {
        const rank = ranks.get(`${parts[i]} ${parts[i + 1]}`)
        if (rank !== undefined && rank < bestRank) [best, bestRank] = [i, rank]
      }
      if (best < 0) break
      parts.splice(best, 2, parts[best] + parts[best + 1])
    }
    for (const part of parts) ids.push(json.model.vocab[part])
  }
  return ids
}

describe('byte-level BPE', () => {
  it('has the vocabulary asked for: bytes, merges, then <|endoftext|> last', () => {
    expect(tokenizer.vocabSize).toBe(2000)
    expect(tokenizer.endOfText).toBe(1999)
    expect(tokenizer.decode([tokenizer.endOfText])).toBe(END_OF_TEXT)
    for (let byte = 0; byte < 128; byte++)
      expect(tokenizer.encode(String.fromCharCode(byte))).toEqual([byte]) // id = byte
    expect(tokenizer.decode([0xc3, 0xa9])).toBe('é')
  })

  it.each([
    ['plain', "Hello, world! It's 2026."],
    ['empty', ''],
    ['CJK', '日本語のテキストと中文分词'],
    ['emoji with modifiers and ZWJ', '👍🏽 👨‍👩‍👧 🇫🇷 😀😀😀'],
    ['CRLF and tabs', 'a\r\n\tb\r\n\r\n\t\t c  \r\n'],
    ['leading BOM', '\ufeffstart'],
    ['combining marks', 'e\u0301 n\u0303 \u0915\u093f'],
    ['a very long line', 'x = [' + '1, '.repeat(20_000) + ']'],
    [
      'a long run of one class',
      ' '.repeat(5_000) + '9'.repeat(5_000) + '-'.repeat(5_000) + 'ab'.repeat(5_000),
    ],
    ['the special token typed as text', `a${END_OF_TEXT}b`],
  ])('round-trips %s: decode(encode(s)) === s', (_, text) => {
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text)
  })

  it('round-trips the mixed corpus, and its pieces concatenate to the text', () => {
    const text = mixedText(100_000, 99)
    const ids = tokenizer.encode(text)
    expect(tokenizer.decode(ids)).toBe(text)
    const pieces = tokenizer.pieces(ids)
    expect(pieces).toHaveLength(ids.length)
    expect(pieces.join('')).toBe(text)
  })

  it('turns lone surrogates into U+FFFD exactly as UTF-8 encoding does', () => {
    for (const text of ['\ud800', 'a\udc00b', 'x\ud83d', '\ud83d\ud83d\ude00', 'ok\udfff\ud800!']) {
      const utf8 = new TextDecoder().decode(new TextEncoder().encode(text))
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(utf8)
    }
  })

  it('gives a character split over tokens to the token that completes it', () => {
    // A rare CJK character is not a merged token: its three bytes are three ids.
    const ids = tokenizer.encode('\u9fa5')
    expect(ids).toHaveLength(3)
    expect(tokenizer.pieces(ids)).toEqual(['', '', '\u9fa5'])
  })

  it('does not read <|endoftext|> in text as the special token', () => {
    expect(tokenizer.encode(END_OF_TEXT)).not.toContain(tokenizer.endOfText)
  })

  it('merges exactly as the textbook algorithm does, long words included', () => {
    const text =
      mixedText(20_000, 5) + 'ab'.repeat(400) + ' ' + 'aaaa'.repeat(100) + '\n' + '  '.repeat(300)
    expect(tokenizer.encode(text)).toEqual(naiveEncode(tokenizer.serialize(), text))
  })

  it('survives its own file: parse(serialize()) encodes and serialises the same', () => {
    const again = BpeTokenizer.parse(tokenizer.serialize(), 'tokenizer.json')
    expect(again.serialize()).toBe(tokenizer.serialize())
    const text = mixedText(20_000, 3)
    expect(again.encode(text)).toEqual(tokenizer.encode(text))
  })

  it('gives the same ids as Hugging Face’s tokenizer on over 1 MB of mixed text', () => {
    const text = mixedText(1_050_000, 2026)
    expect(Buffer.byteLength(text, 'utf8')).toBeGreaterThan(1_000_000)
    const hf = new HfTokenizer(JSON.parse(tokenizer.serialize()), {})
    const ours = tokenizer.encode(text)
    const theirs = hf.encode(text).ids
    expect(ours.length).toBe(theirs.length)
    const firstDifference = ours.findIndex((id, i) => id !== theirs[i])
    expect(firstDifference).toBe(-1)
    expect(hf.decode(ours, { clean_up_tokenization_spaces: false })).toBe(tokenizer.decode(ours))
  })

  it('loads a file with another byte order (ids are what the vocab says)', () => {
    const file = JSON.parse(tokenizer.serialize()) as {
      model: { vocab: Record<string, number> }
      added_tokens: Array<{ id: number }>
    }
    // Reverse the ids of the 256 byte tokens.
    for (const [spelling, id] of Object.entries(file.model.vocab))
      if (id < 256) file.model.vocab[spelling] = 255 - id
    const shuffled = BpeTokenizer.parse(JSON.stringify(file), 'other.json')
    const hf = new HfTokenizer(file, {})
    const text = mixedText(30_000, 8)
    expect(shuffled.encode(text)).toEqual(hf.encode(text).ids)
    expect(shuffled.decode(shuffled.encode(text))).toBe(text)
  })

  it.each([
    ['not JSON', '{ nope', /not valid JSON/],
    [
      'another model',
      JSON.stringify({
        model: { type: 'WordPiece', vocab: {} },
        pre_tokenizer: { type: 'ByteLevel' },
      }),
      /not BPE/,
    ],
    [
      'a prefix space',
      JSON.stringify({
        model: { type: 'BPE', vocab: {}, merges: [] },
        pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true },
      }),
      /prefix space/,
    ],
    [
      'missing bytes',
      JSON.stringify({
        model: { type: 'BPE', vocab: { a: 0 }, merges: [] },
        pre_tokenizer: { type: 'ByteLevel' },
      }),
      /byte 0 has no token/,
    ],
  ])('refuses a file with %s, naming it', (_, text, reason) => {
    expect(() => BpeTokenizer.parse(text, 'bad.json')).toThrow(reason)
    expect(() => BpeTokenizer.parse(text, 'bad.json')).toThrow(/bad\.json/)
  })

  it('refuses ids outside the vocabulary when decoding', () => {
    expect(() => tokenizer.decode([5000])).toThrow(/5000 is not in this vocabulary/)
  })
})
