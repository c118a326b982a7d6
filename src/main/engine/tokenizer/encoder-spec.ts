/** Builds, in any thread, the encoder a tokenizer described with `encoderSpec()`. */
import { BpeEncoder } from './bpe-encoder'
import { SentencePieceEncoder } from './sentencepiece-encoder'
import type { EncoderSpec, IdEncoder } from './types'
import type { WordCache } from './word-cache'
import { WordTokenizer } from './word'

/** `cache`, when given, is the (emptied) word cache a BPE encoder reuses. */
export function encoderFromSpec(spec: EncoderSpec, cache?: WordCache): IdEncoder {
  if (spec.kind === 'bpe') return new BpeEncoder(spec.tables, undefined, cache)
  if (spec.kind === 'sentencepiece') return new SentencePieceEncoder(spec.tables, undefined, cache)
  return WordTokenizer.fromWords(spec.words)
}
