/** Builds, in any thread, the encoder a tokenizer described with `encoderSpec()`. */
import { BpeEncoder } from './bpe-encoder'
import type { EncoderSpec, IdEncoder } from './types'
import type { WordCache } from './word-cache'
import { WordTokenizer } from './word'

/** `cache`, when given, is the (emptied) word cache a BPE encoder reuses. */
export function encoderFromSpec(spec: EncoderSpec, cache?: WordCache): IdEncoder {
  return spec.kind === 'bpe'
    ? new BpeEncoder(spec.tables, undefined, cache)
    : WordTokenizer.fromWords(spec.words)
}
