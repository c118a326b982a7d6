/**
 * The llama.cpp vocabulary of a SentencePiece-style tokenizer: llama.cpp (node-llama-cpp's prebuilt
 * CPU binary, vocabulary only, no build, no download) loads it and tokenizes as we do, BOS and
 * byte fallback included. The tokenizer is learned in the test with its merges written as Hugging
 * Face converts a SentencePiece model (every split of every token), as in Llama 2's file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from 'node-llama-cpp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ggufChunks, type GgufValue } from '../../../../../src/main/engine/checkpoints/gguf'
import { parseTokenizer, type Tokenizer } from '../../../../../src/main/engine/tokenizer'
import {
  GGUF_TOKEN_TYPE,
  sentencePieceGgufVocabulary,
  type SentencePieceGgufVocabulary,
} from '../../../../../src/main/engine/tokenizer/gguf-vocab-spm'
import { mixedText } from './mixed-text'
import { buildSpmFile, type SpmJson } from './spm-file'

const TEXTS = [
  'the model learns from every file',
  '  leading spaces, trailing  ',
  'if (x) {\n    return  y\n\t}\n',
  'Unicode: naïve café, 日本語のテキスト, emoji 🐈‍⬛ 👍🏽 and ꙮ',
  mixedText(3_000, 8),
]

let root: string
let file: SpmJson
let ours: Tokenizer
let vocabulary: SentencePieceGgufVocabulary
let llama: Llama
let model: LlamaModel

/**
 * A vocabulary-only GGUF: the engine's writer, plus the f32[] scores it has no value type for yet
 * (written as i32[] of the floats' bits, then the array's element type patched to FLOAT32).
 */
function vocabularyGguf(v: SentencePieceGgufVocabulary): Uint8Array {
  const u32 = (value: number): GgufValue => ({ type: 'u32', value })
  const metadata: Array<[string, GgufValue]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['llama.context_length', u32(64)],
    ['llama.embedding_length', u32(64)],
    ['llama.block_count', u32(1)],
    ['llama.feed_forward_length', u32(128)],
    ['llama.attention.head_count', u32(1)],
    ['llama.attention.head_count_kv', u32(1)],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
    ['llama.rope.dimension_count', u32(64)],
    ['tokenizer.ggml.model', { type: 'string', value: v.model }],
    ['tokenizer.ggml.pre', { type: 'string', value: v.pre }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: v.tokens }],
    ['tokenizer.ggml.scores', { type: 'i32[]', value: new Int32Array(v.scores.buffer) }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: v.tokenTypes }],
    ['tokenizer.ggml.bos_token_id', u32(v.bosTokenId!)],
    ['tokenizer.ggml.eos_token_id', u32(v.eosTokenId)],
    ['tokenizer.ggml.unknown_token_id', u32(v.unknownTokenId!)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: v.addBosToken }],
    ['tokenizer.ggml.add_space_prefix', { type: 'bool', value: v.addSpacePrefix }],
  ]
  const parts = [...ggufChunks(metadata, [])]
  const bytes = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let at = 0
  for (const part of parts) bytes.set(part, (at += part.length) - part.length)
  const key = new TextEncoder().encode('tokenizer.ggml.scores')
  const keyAt = bytes.findIndex((_, i) => key.every((b, j) => bytes[i + j] === b))
  const view = new DataView(bytes.buffer)
  const elementType = keyAt + key.length + 4 // after the key and the ARRAY tag
  expect(view.getUint32(elementType, true)).toBe(5) // INT32
  view.setUint32(elementType, 6, true) // FLOAT32
  return bytes
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cllm-gguf-spm-'))
  file = buildSpmFile(mixedText(60_000, 3), 600, 3, true)
  ours = parseTokenizer(JSON.stringify(file), 'tokenizer.json')
  vocabulary = sentencePieceGgufVocabulary(ours.serialize(), ours.vocabSize, ours, 'tokenizer.json')
  const path = join(root, 'vocab.gguf')
  await writeFile(path, vocabularyGguf(vocabulary))
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error })
  model = await llama.loadModel({ modelPath: path, vocabOnly: true })
})

afterAll(async () => {
  await model?.dispose()
  await llama?.dispose()
  await rm(root, { recursive: true, force: true })
})

describe('the llama.cpp vocabulary of a SentencePiece tokenizer', () => {
  it('types each token as llama.cpp expects and scores merged tokens by rank', () => {
    const { tokenTypes, scores } = vocabulary
    expect([tokenTypes[0], tokenTypes[1], tokenTypes[2]]).toEqual([
      GGUF_TOKEN_TYPE.unknown,
      GGUF_TOKEN_TYPE.control,
      GGUF_TOKEN_TYPE.control,
    ])
    expect(tokenTypes[file.model.vocab['<0x0A>']]).toBe(GGUF_TOKEN_TYPE.byte)
    expect(tokenTypes[file.model.vocab['▁']]).toBe(GGUF_TOKEN_TYPE.normal)
    const [left, right] = file.model.merges[0]
    expect(scores[file.model.vocab[left + right]]).toBe(-0)
    expect(vocabulary.addBosToken && vocabulary.addSpacePrefix).toBe(true)
    expect(model.tokens.bos).toBe(ours.beginOfText)
    expect(model.tokens.eos).toBe(ours.endOfText)
  })

  it('pads a model with more rows than tokens as llama.cpp\'s converter does, and refuses ids beyond its rows', () => {
    const padded = sentencePieceGgufVocabulary(ours.serialize(), ours.vocabSize + 2, ours, 'tokenizer.json')
    expect(padded.tokens.slice(-2)).toEqual([`[PAD${ours.vocabSize}]`, `[PAD${ours.vocabSize + 1}]`])
    expect([...padded.tokenTypes.slice(-2)]).toEqual([GGUF_TOKEN_TYPE.unused, GGUF_TOKEN_TYPE.unused])
    expect(() => sentencePieceGgufVocabulary(ours.serialize(), ours.vocabSize - 1, ours, 'tokenizer.json')).toThrow(
      /outside the model's .* rows; it cannot be written as a llama\.cpp vocabulary/,
    )
  })

  it.each(TEXTS.map((text) => [JSON.stringify(text.slice(0, 40)), text]))(
    'llama.cpp tokenizes %s as we do',
    (_, text) => {
      const theirs = Array.from(model.tokenize(text, false))
      expect(theirs).toEqual(ours.encode(text))
      expect(model.detokenize(model.tokenize(text, false))).toBe(ours.decode(ours.encode(text)))
    },
  )
})
