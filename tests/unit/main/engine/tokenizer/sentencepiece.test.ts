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
    expect(ours.family).toBe('sentencepiece')
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

describe('SentencePiece details', () => {
  const load = (file: SpmJson): BpeTokenizer =>
    parseTokenizer(JSON.stringify(file), 'their tokenizer.json') as BpeTokenizer

  it('encodes a long text (every chunk cut and cache path) as Hugging Face does', () => {
    const text = mixedText(150_000, 23)
    const expected = new HfTokenizer(base, {}).encode(text, { add_special_tokens: false }).ids
    const ids = load(base).encode(text)
    expect(ids.length).toBe(expected.length)
    expect(ids.findIndex((id, i) => id !== expected[i])).toBe(-1)
  })

  it('encodes as Hugging Face does with merges written as Llama 2 conversion writes them (every split)', () => {
    const file = buildSpmFile(mixedText(60_000, 3), 500, 3, true)
    const text = mixedText(50_000, 29)
    expect(load(file).encode(text)).toEqual(new HfTokenizer(file, {}).encode(text, { add_special_tokens: false }).ids)
  })

  it.each(Object.entries(FORMS))(
    'a document cut after a line end encodes as the whole when the rest is a continuation (%s)',
    (_, form) => {
      const ours = load(form(structuredClone(base)))
      const text = mixedText(20_000, 5)
      const cut = text.search(/\S\n(?=\S)/) + 2
      expect(cut).toBeGreaterThan(2)
      const parts = [...ours.encode(text.slice(0, cut)), ...ours.encode(text.slice(cut), 'continuation')]
      expect(parts).toEqual(ours.encode(text))
    },
  )

  it.each(Object.entries(FORMS))(
    'text after a special token encodes as Hugging Face encodes that section (%s)',
    (_, form) => {
      const file = form(structuredClone(base))
      const ours = load(file)
      const text = 'the model<s> learns  from</s>every file'
      const expected = new HfTokenizer(file, {}).encode(text, { add_special_tokens: false }).ids
      expect([
        ...ours.encode('the model'),
        1,
        ...ours.encode(' learns  from', 'after-special'),
        2,
        ...ours.encode('every file', 'after-special'),
      ]).toEqual(expected)
    },
  )

  it('gives each id of a byte run the characters it completes', () => {
    const ours = load(base)
    expect(base.model.vocab['ꙮ'] ?? base.model.vocab['🦩']).toBeUndefined()
    const ids = ours.encode('ꙮ🦩')
    const pieces = ours.pieces(ids)
    // ▁, then 3 bytes of ꙮ and 4 of 🦩, each character at its last byte.
    expect(pieces).toEqual(['', '', '', 'ꙮ', '', '', '', '🦩'])
  })

  it('decodes a byte run that is not UTF-8 to one U+FFFD per byte, and keeps a U+FEFF, as Rust tokenizers do', () => {
    // Checked against the Rust `tokenizers` 0.23.2 (its Node binding); the JavaScript port's default
    // TextDecoder gives "�", "é�" and "A" here instead. Valid runs decode alike in all three.
    const ours = load(base)
    const byte = (b: number): number => base.model.vocab[`<0x${b.toString(16).toUpperCase()}>`]
    expect(ours.decode([byte(0xe4), byte(0xb8)])).toBe('\uFFFD\uFFFD')
    expect(ours.decode([byte(0xc3), byte(0xa9), byte(0xe4)])).toBe('\uFFFD\uFFFD\uFFFD')
    expect(ours.decode([byte(0xef), byte(0xbb), byte(0xbf), byte(0x41)])).toBe('\uFEFFA')
  })

  it('refuses an id outside the vocabulary by name', () => {
    expect(() => load(base).decode([99_999])).toThrow(/Token id 99999 is not in this vocabulary/)
  })

  it.each([
    [
      'Metaspace that splits at every ▁ (split true)',
      (f: SpmJson) => Object.assign(f, metaspaceSections('first'), { pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true } }),
      /pre_tokenizer\.split/,
    ],
    [
      'legacy Metaspace without split',
      (f: SpmJson) => Object.assign(f, { normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: '▁', add_prefix_space: true } }),
      /pre_tokenizer\.split/,
    ],
    [
      'add_prefix_space false without a prepend_scheme',
      (f: SpmJson) => Object.assign(f, { normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: '▁', add_prefix_space: false, split: false } }),
      /add_prefix_space/,
    ],
    [
      'a Prepend normalizer and Metaspace together',
      (f: SpmJson) => (f.pre_tokenizer = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false }),
      /Prepend normalizer and a Metaspace/,
    ],
    ['a Lowercase normalizer', (f: SpmJson) => (f.normalizer = { type: 'Lowercase' }), /normalizer/],
    ['a ByteLevel pre-tokenizer', (f: SpmJson) => (f.pre_tokenizer = { type: 'ByteLevel' }), /pre_tokenizer "ByteLevel"/],
    ['a Metaspace decoder', (f: SpmJson) => (f.decoder = { type: 'Metaspace', replacement: '▁' }), /decoder/],
    ['dropout', (f: SpmJson) => (f.model.dropout = 0.1), /model\.dropout/],
    ['a subword prefix', (f: SpmJson) => (f.model.continuing_subword_prefix = '##'), /continuing_subword_prefix/],
    ['ignore_merges', (f: SpmJson) => (f.model.ignore_merges = true), /model\.ignore_merges/],
    ['a missing byte token', (f: SpmJson) => delete f.model.vocab['<0x7F>'], /no byte token <0x7F>/],
    ['a Unigram model', (f: SpmJson) => (f.model.type = 'Unigram'), /model is not BPE/],
    ['a RobertaProcessing post_processor', (f: SpmJson) => (f.post_processor = { type: 'RobertaProcessing' }), /post_processor "RobertaProcessing"/],
    [
      'a merge joining a newline to the next character',
      (f: SpmJson) => {
        f.model.vocab['\n'] = 90_000
        f.model.vocab['\ne'] = 90_001
        f.model.merges.push(['\n', 'e'])
      },
      /joins a newline/,
    ],
  ])('refuses %s, naming the field', (_, change, message) => {
    const file = structuredClone(base)
    change(file)
    expect(() => load(file)).toThrow(message)
    expect(() => load(file)).toThrow(/their tokenizer\.json/)
  })
})
