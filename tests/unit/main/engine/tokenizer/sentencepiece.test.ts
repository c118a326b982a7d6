/**
 * SentencePiece-style BPE with byte fallback (the TinyLlama / Llama 2 tokenizer.json) encodes and
 * decodes here as `@huggingface/tokenizers` does. No file is downloaded: the tokenizer is learned
 * in the test from a mixed corpus (spm-file.ts), in both forms Hugging Face writes (Prepend +
 * Replace normalizer; Metaspace pre-tokenizer), and the JavaScript port is the oracle.
 */
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers'
import { beforeAll, describe, expect, it } from 'vitest'
import { BpeTokenizer, parseTokenizer } from '../../../../../src/main/engine/tokenizer'
import { encoderFromSpec } from '../../../../../src/main/engine/tokenizer/encoder-spec'
import { TokenBuffer } from '../../../../../src/main/engine/tokenizer/token-buffer'
import { mixedText } from './mixed-text'
import { buildSpmFile, metaspaceSections, type SpmJson } from './spm-file'

let base: SpmJson
beforeAll(() => {
  base = buildSpmFile(mixedText(80_000, 3), 700)
})

const FORMS = {
  'Prepend + Replace normalizer (Llama 2, TinyLlama)': (file: SpmJson): SpmJson => file,
  'Metaspace prepend_scheme first': (file: SpmJson): SpmJson => ({ ...file, ...metaspaceSections('first') }),
  'Metaspace prepend_scheme always': (file: SpmJson): SpmJson => ({ ...file, ...metaspaceSections('always') }),
  'Metaspace prepend_scheme never': (file: SpmJson): SpmJson => ({ ...file, ...metaspaceSections('never') }),
} as const

const HOSTILE: Array<[string, string]> = [
  ['empty', ''],
  ['one space', ' '],
  ['spaces only', '     '],
  ['leading and trailing spaces', '  the model  '],
  ['runs of spaces (indentation)', 'if (x) {\n    return  y\n        }\n'],
  ['newlines and tabs', 'a\n\nb\tc\r\n\t\td \n'],
  ['emoji with modifiers and ZWJ', 'ok 👍🏽 👩‍👩‍👧 🇫🇷!'],
  ['CJK', '日本語のテキスト 中文 한국어'],
  ['combining marks', 'Cafe\u0301 nai\u0308ve A\u030a \u1100\u1161\u11a8'],
  ['a literal ▁', '▁x ▁ y▁'],
  ['a BOM', '\uFEFFstart'],
  ['control characters', '\u0000\u0001 \u007f x'],
  ['lone surrogate', 'a\uD800b \uDC00'],
  ['the mixed corpus', mixedText(30_000, 11)],
]

describe.each(Object.entries(FORMS))('%s', (_, form) => {
  let file: SpmJson
  let ours: BpeTokenizer
  let theirs: HfTokenizer
  beforeAll(() => {
    file = form(structuredClone(base))
    ours = parseTokenizer(JSON.stringify(file), 'tokenizer.json') as BpeTokenizer
    theirs = new HfTokenizer(file, {})
  })

  it.each(HOSTILE)('encodes %s as Hugging Face does, and decodes it as Hugging Face does', (_, text) => {
    const expected = theirs.encode(text, { add_special_tokens: false }).ids
    const ids = ours.encode(text)
    const firstDifference = ids.findIndex((id, i) => id !== expected[i])
    expect({ firstDifference, length: ids.length }).toEqual({ firstDifference: -1, length: expected.length })
    const decoded = expected.length === 0 ? '' : theirs.decode(expected, { skip_special_tokens: false, clean_up_tokenization_spaces: false })
    expect(ours.decode(ids)).toBe(decoded)
    expect(ours.pieces(ids).join('')).toBe(decoded)
  })

  it('puts the post_processor BOS before a document, as add_special_tokens does', () => {
    const text = 'the model learns'
    expect(ours.beginOfText).toBe(1)
    expect(ours.encode(text, 'document')).toEqual(theirs.encode(text).ids)
  })

  it('encodes the same in a worker thread, from the compact spec', () => {
    const text = HOSTILE.at(-1)![1]
    const out = new TokenBuffer(16)
    encoderFromSpec(structuredClone(ours.encoderSpec())).encodeInto(text, out)
    expect(out.toArray()).toEqual(ours.encode(text))
  })

  it('is written back as it came and loads again to the same tokenizer', () => {
    const saved = JSON.parse(ours.serialize()) as SpmJson
    for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder', 'added_tokens'] as const)
      expect(saved[key]).toEqual(file[key] ?? null)
    expect(saved.model).toEqual(file.model)
    const again = parseTokenizer(ours.serialize(), 'saved')
    expect(again.serialize()).toBe(ours.serialize())
  })
})
