/**
 * Today's byte-level families (SmolLM, Qwen2, Llama 3) encode here exactly as Hugging Face's
 * tokenizer encodes them. No file is downloaded: each family's tokenizer.json is built from a
 * tokenizer trained here, with the family's normalizer, pre-tokenizer, decoder and BOS rule as the
 * published files write them, and `@huggingface/tokenizers` is the oracle.
 */
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  BpeTokenizer,
  parseTokenizer,
  trainTokenizer,
} from '../../../../../src/main/engine/tokenizer'
import {
  FAMILY_SPLIT_PATTERNS,
  preTokenize,
} from '../../../../../src/main/engine/tokenizer/pretokenize'
import { TokenBuffer } from '../../../../../src/main/engine/tokenizer/token-buffer'
import { encoderFromSpec } from '../../../../../src/main/engine/tokenizer/encoder-spec'
import { mixedText } from './mixed-text'

type Json = Record<string, unknown> & {
  model: Record<string, unknown>
  added_tokens: Array<Record<string, unknown>>
}

const byteLevel = (useRegex: boolean): object => ({
  type: 'ByteLevel',
  add_prefix_space: false,
  trim_offsets: true,
  use_regex: useRegex,
})
const split = (pattern: string): object => ({
  type: 'Split',
  pattern: { Regex: pattern },
  behavior: 'Isolated',
  invert: false,
})

/** The sections each family's published tokenizer.json has (SmolLM2, Qwen2.5, Llama 3.2). */
const FAMILIES = {
  smollm: {
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(true)],
    },
  },
  qwen2: {
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [split(FAMILY_SPLIT_PATTERNS.qwen2), byteLevel(false)],
    },
  },
  llama3: {
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [split(FAMILY_SPLIT_PATTERNS.llama3), byteLevel(false)],
    },
  },
} as const

let trained: string
beforeAll(async () => {
  const tokenizer = await trainTokenizer([mixedText(200_000, 5)], { kind: 'bpe', vocabSize: 1500 })
  trained = tokenizer.serialize()
})

function familyFile(family: keyof typeof FAMILIES): Json {
  const file = JSON.parse(trained) as Json
  Object.assign(file, FAMILIES[family], { decoder: byteLevel(true) })
  if (family === 'llama3') {
    // Llama 3's specials and BOS rule: <|begin_of_text|> before every sequence, no <|endoftext|>.
    const end = file.added_tokens[0]
    end.content = '<|end_of_text|>'
    const bos = { ...end, id: (end.id as number) + 1, content: '<|begin_of_text|>' }
    file.added_tokens.push(bos)
    file.post_processor = {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: {
        '<|begin_of_text|>': {
          id: '<|begin_of_text|>',
          ids: [bos.id],
          tokens: ['<|begin_of_text|>'],
        },
      },
    }
    file.model.ignore_merges = true
  }
  return file
}

/** Digits that are not ASCII: Rust's `Digits` and llama.cpp split them, the JavaScript port does not. */
const NON_ASCII_NUMERIC = /(?![0-9])\p{N}/gu

const TEXTS: Array<[string, string]> = [
  ['the mixed corpus', mixedText(40_000, 17)],
  ['numbers', 'In 2026, 1234567 tokens cost $3.50 (12.5%); call 555-0100 x42 or 007.'],
  ['contractions in any case', "IT'S they'LL We'Ve I'M she'D You'RE don'T O'Neil's"],
  ['whitespace and lines', 'a  b   c\n\n  d\r\n\t\te \n  \n12  34\n  5'],
  ['decomposed accents (NFC differs)', 'Cafe\u0301 nai\u0308ve n\u0303 \u1100\u1161\u11a8 A\u030a'],
  ['punctuation runs with newlines', '}}\n\n{{ --> ...\r\n!!! ?!\n'],
]

describe.each(Object.keys(FAMILIES) as Array<keyof typeof FAMILIES>)('the %s family', (family) => {
  let file: Json
  let ours: BpeTokenizer
  let theirs: HfTokenizer
  beforeAll(() => {
    file = familyFile(family)
    ours = parseTokenizer(JSON.stringify(file), `${family} tokenizer.json`) as BpeTokenizer
    theirs = new HfTokenizer(file, {})
  })

  it.each(TEXTS)('encodes %s as Hugging Face does, and decodes it back', (_, raw) => {
    const text = family === 'smollm' ? raw.replace(NON_ASCII_NUMERIC, '') : raw
    const expected = theirs.encode(text, { add_special_tokens: false }).ids
    const ids = ours.encode(text)
    const firstDifference = ids.findIndex((id, i) => id !== expected[i])
    expect({ firstDifference, length: ids.length }).toEqual({
      firstDifference: -1,
      length: expected.length,
    })
    const normalized = family === 'qwen2' ? text.normalize('NFC') : text
    expect(ours.decode(ids)).toBe(normalized)
    expect(ours.decode(ids)).toBe(
      theirs.decode(expected, { skip_special_tokens: false, clean_up_tokenization_spaces: false }),
    )
  })

  it('encodes the same in a worker thread, from the compact spec', () => {
    const text = TEXTS[0][1]
    const out = new TokenBuffer(16)
    encoderFromSpec(structuredClone(ours.encoderSpec())).encodeInto(text, out)
    expect(out.toArray()).toEqual(ours.encode(text))
  })

  it('is written back with its own pipeline and loads again to the same tokenizer', () => {
    const saved = JSON.parse(ours.serialize()) as Json
    for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'added_tokens'] as const)
      expect(saved[key]).toEqual(file[key] ?? null)
    expect(saved.model.ignore_merges).toBe(family === 'llama3')
    const again = parseTokenizer(ours.serialize(), 'saved') as BpeTokenizer
    expect(again.serialize()).toBe(ours.serialize())
    expect(again.endOfText).toBe(ours.endOfText)
  })
})

describe('family details', () => {
  it('SmolLM cuts every numeric character, as Rust `Digits` (char::is_numeric) and llama.cpp do', () => {
    expect(preTokenize('x²3 ٣٤ 12', 'smollm')).toEqual([
      'x',
      '²',
      '3',
      ' ',
      '٣',
      '٤',
      ' ',
      '1',
      '2',
    ])
    // Whitespace before a digit belongs to the piece before the cut, whole.
    expect(preTokenize('a  1', 'smollm')).toEqual(['a', '  ', '1'])
    expect(preTokenize('a  1', 'gpt2')).toEqual(['a', ' ', ' 1'])
  })

  it('Qwen2 takes one digit a word, Llama 3 up to three', () => {
    expect(preTokenize('12345', 'qwen2')).toEqual(['1', '2', '3', '4', '5'])
    expect(preTokenize('12345', 'llama3')).toEqual(['123', '45'])
  })

  it('Llama 3 (ignore_merges) takes a word found whole in the vocabulary as that token', () => {
    const file = familyFile('llama3')
    const vocab = file.model.vocab as Record<string, number>
    const whole = 'Ġzqxj' // no merge in the trained file makes this word
    const id =
      Math.max(...Object.values(vocab), ...file.added_tokens.map((t) => t.id as number)) + 1
    vocab[whole] = id
    const ours = parseTokenizer(JSON.stringify(file), 'llama3') as BpeTokenizer
    const theirs = new HfTokenizer(file, {})
    expect(ours.encode('a zqxj')).toEqual(
      theirs.encode('a zqxj', { add_special_tokens: false }).ids,
    )
    expect(ours.encode(' zqxj')).toEqual([id])
    file.model.ignore_merges = false
    const merged = parseTokenizer(JSON.stringify(file), 'llama3 without ignore_merges')
    expect(merged.encode(' zqxj').length).toBeGreaterThan(1)
  })

  it('ends documents with <|end_of_text|> when a file has no <|endoftext|>', () => {
    const ours = parseTokenizer(JSON.stringify(familyFile('llama3')), 'llama3')
    expect(ours.decode([ours.endOfText])).toBe('<|end_of_text|>')
  })

  it.each([
    [
      'byte fallback on a byte-level pipeline',
      (f: Json) => (f.model.byte_fallback = true),
      /normalizer .* is not SentencePiece's/,
    ],
    [
      'another Split pattern',
      (f: Json) =>
        (f.pre_tokenizer = { type: 'Sequence', pretokenizers: [split('\\s+'), byteLevel(false)] }),
      /pre_tokenizer/,
    ],
    [
      'a prefix space',
      (f: Json) => (f.pre_tokenizer = { ...byteLevel(true), add_prefix_space: true }),
      /pre_tokenizer/,
    ],
    [
      'a Lowercase normalizer',
      (f: Json) => (f.normalizer = { type: 'Lowercase' }),
      /normalizer "Lowercase"/,
    ],
    [
      'a WordPiece decoder',
      (f: Json) => (f.decoder = { type: 'WordPiece' }),
      /decoder "WordPiece"/,
    ],
    [
      'a subword prefix',
      (f: Json) => (f.model.continuing_subword_prefix = '##'),
      /continuing_subword_prefix/,
    ],
  ])('refuses %s, naming the field', (_, change, message) => {
    const file = familyFile('qwen2')
    change(file)
    expect(() => parseTokenizer(JSON.stringify(file), 'their tokenizer.json')).toThrow(message)
  })
})
