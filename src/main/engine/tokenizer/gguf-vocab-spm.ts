/**
 * The GGUF vocabulary of a SentencePiece-style BPE tokenizer (Llama 2, TinyLlama), for llama.cpp's
 * `llama` tokenizer model: tokens in id order (▁ kept, byte tokens as `<0xNN>`), a score per token
 * and a token type (llama.cpp's: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).
 * Rows of the embedding beyond the tokenizer's ids (a vocabulary padded to a round size) get
 * `[PAD<id>]` tokens of type unused, as llama.cpp's converter writes them.
 *
 * llama.cpp merges SentencePiece text by score, not by a merge list: it joins the neighbouring pair
 * whose concatenation is the vocabulary token of highest score, leftmost first. A merged token's
 * score is therefore minus the rank of the first merge that makes it, so the highest score is the
 * lowest rank, as Hugging Face's BPE merges. This is exact for Hugging Face's conversions of
 * SentencePiece models (Llama 2, TinyLlama), whose merges list every split of every token in score
 * order. Other tokens score below every merged one (llama.cpp reads no other meaning into scores).
 *
 * llama.cpp puts ▁ before every text when `add_space_prefix` is set, as the Prepend normalizer does;
 * for a Metaspace file (which puts none before a text that starts with a space) the two differ on
 * such texts only.
 */
import { UserError } from '../../../shared/errors'
import { byteOfToken } from './sentencepiece'

export const GGUF_TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const

export interface SentencePieceGgufVocabulary {
  /** `tokenizer.ggml.model` */
  model: 'llama'
  /** `tokenizer.ggml.pre` */
  pre: 'default'
  tokens: string[]
  /** `tokenizer.ggml.scores` (a float32 array in the file). */
  scores: Float32Array
  /** `tokenizer.ggml.token_type` (an int32 array). */
  tokenTypes: Int32Array
  bosTokenId: number | null
  eosTokenId: number
  unknownTokenId: number | null
  /** `tokenizer.ggml.add_bos_token`: the post_processor puts BOS before every sequence. */
  addBosToken: boolean
  /** `tokenizer.ggml.add_space_prefix`: ▁ goes before a text (false for Metaspace `never`). */
  addSpacePrefix: boolean
}

interface SpmFile {
  model?: {
    vocab?: Record<string, number>
    merges?: Array<string | [string, string]>
    unk_token?: unknown
    byte_fallback?: unknown
  }
  normalizer?: { type?: unknown; normalizers?: Array<{ type?: unknown }> } | null
  pre_tokenizer?: { type?: unknown; prepend_scheme?: unknown } | null
  post_processor?: unknown
  added_tokens?: Array<{ id: number; content: string; special?: boolean }>
}

/**
 * The vocabulary of a SentencePiece-style `tokenizer.json` (one the engine accepts, see
 * sentencepiece-shape.ts), `vocabSize` rows (the model's embedding), `eosTokenId` and `bosTokenId`
 * as the tokenizer resolves them (`endOfText`, `beginOfText`).
 */
export function sentencePieceGgufVocabulary(
  tokenizerJson: string,
  vocabSize: number,
  ids: { endOfText: number; beginOfText: number | null },
  source: string,
): SentencePieceGgufVocabulary {
  const refuse = (why: string): UserError =>
    new UserError('invalid-input', `${source}: ${why}; it cannot be written as a llama.cpp vocabulary.`)
  const file = JSON.parse(tokenizerJson) as SpmFile
  const model = file.model
  if (model?.byte_fallback !== true || typeof model.vocab !== 'object' || !Array.isArray(model.merges))
    throw refuse('its tokenizer is not SentencePiece-style BPE (byte_fallback, vocab and merges)')

  const tokens = new Array<string | undefined>(vocabSize)
  const tokenTypes = new Int32Array(vocabSize).fill(GGUF_TOKEN_TYPE.normal)
  const scores = new Float32Array(vocabSize).fill(-model.merges.length)
  const place = (content: string, id: number, type: number): void => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw refuse(`token ${JSON.stringify(content)} has id ${id}, outside the model's ${vocabSize} rows`)
    tokens[id] = content
    tokenTypes[id] = type
  }
  for (const [content, id] of Object.entries(model.vocab))
    place(content, id, byteOfToken(content) >= 0 ? GGUF_TOKEN_TYPE.byte : GGUF_TOKEN_TYPE.normal)
  for (const added of file.added_tokens ?? [])
    place(added.content, added.id, added.special === false ? GGUF_TOKEN_TYPE.userDefined : GGUF_TOKEN_TYPE.control)
  const unknown = typeof model.unk_token === 'string' ? (model.vocab[model.unk_token] ?? null) : null
  if (unknown !== null) tokenTypes[unknown] = GGUF_TOKEN_TYPE.unknown
  for (let id = 0; id < vocabSize; id++) {
    if (tokens[id] !== undefined) continue
    tokens[id] = `[PAD${id}]`
    tokenTypes[id] = GGUF_TOKEN_TYPE.unused
  }

  const scored = new Uint8Array(vocabSize)
  model.merges.forEach((merge, rank) => {
    const [left, right] = typeof merge === 'string' ? merge.split(' ') : merge
    const id = model.vocab![left + right]
    if (id === undefined || scored[id]) return
    scored[id] = 1
    scores[id] = -rank
  })

  const pre = file.pre_tokenizer
  const addSpacePrefix =
    pre?.type === 'Metaspace'
      ? pre.prepend_scheme !== 'never'
      : (file.normalizer?.normalizers ?? [file.normalizer ?? {}]).some((step) => step?.type === 'Prepend')
  return {
    model: 'llama',
    pre: 'default',
    tokens: tokens as string[],
    scores,
    tokenTypes,
    bosTokenId: ids.beginOfText,
    eosTokenId: ids.endOfText,
    unknownTokenId: unknown,
    addBosToken: ids.beginOfText !== null,
    addSpacePrefix,
  }
}
