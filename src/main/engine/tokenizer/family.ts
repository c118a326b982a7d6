/**
 * Which family a Hugging Face BPE `tokenizer.json` belongs to, read from its normalizer,
 * pre-tokenizer, decoder, post-processor and model options: a byte-level one (GPT-2, SmolLM,
 * Qwen2, Llama 3) or SentencePiece-style BPE with byte fallback (Llama 2, TinyLlama; see
 * sentencepiece-shape.ts). Only what this engine encodes exactly is accepted; anything else is
 * refused naming the field, never approximated.
 */
import type { UserError } from '../../../shared/errors'
import type { HfTokenizerFile } from './bpe'
import { FAMILY_SPLIT_PATTERNS, type PreTokenizerKind } from './pretokenize'
import { familySections, readBeginOfText, type FamilySections } from './family-sections'
import { readSentencePieceShape, type SentencePieceShape } from './sentencepiece-shape'

export type FamilyShape = ByteLevelShape | SentencePieceShape

export interface ByteLevelShape {
  kind: 'byte-level'
  preTokenizer: PreTokenizerKind
  normalizer: 'nfc' | null
  /** Llama 3's `model.ignore_merges`: a word found whole in the vocabulary is that token. */
  ignoreMerges: boolean
  /** The content of the token the post_processor puts before every sequence (Llama 3's BOS). */
  beginOfText: string | null
  /**
   * A family's own sections, written back unchanged on save (its BOS rules in `post_processor`,
   * its added tokens with their flags). Null for GPT-2-style files, which are written in the
   * studio's canonical form (as they always were, so their hashes do not change).
   */
  sections: FamilySections | null
}

export const GPT2_SHAPE: ByteLevelShape = {
  kind: 'byte-level',
  preTokenizer: 'gpt2',
  normalizer: null,
  ignoreMerges: false,
  beginOfText: null,
  sections: null,
}

interface Step {
  type?: unknown
  add_prefix_space?: unknown
  use_regex?: unknown
  individual_digits?: unknown
  pattern?: { Regex?: unknown; String?: unknown }
  behavior?: unknown
  invert?: unknown
  pretokenizers?: unknown
}

const isByteLevel = (step: Step | undefined, useRegex: boolean): boolean =>
  step?.type === 'ByteLevel' &&
  step.add_prefix_space !== true &&
  (useRegex ? step.use_regex !== false : step.use_regex === false)

/** The pre-tokenizer kind, or undefined when it is not one of the families this engine knows. */
function preTokenizerKind(value: unknown): PreTokenizerKind | undefined {
  const step = value as Step | null | undefined
  if (isByteLevel(step ?? undefined, true)) return 'gpt2'
  if (step?.type !== 'Sequence' || !Array.isArray(step.pretokenizers)) return undefined
  const [first, second, ...rest] = step.pretokenizers as Step[]
  if (rest.length > 0) return undefined
  if (first?.type === 'Digits' && first.individual_digits === true && isByteLevel(second, true))
    return 'smollm'
  if (
    first?.type === 'Split' &&
    first.behavior === 'Isolated' &&
    first.invert !== true &&
    isByteLevel(second, false)
  ) {
    for (const kind of ['qwen2', 'llama3'] as const)
      if (first.pattern?.Regex === FAMILY_SPLIT_PATTERNS[kind]) return kind
  }
  return undefined
}

const KNOWN =
  "GPT-2's ByteLevel, SmolLM's Digits + ByteLevel, Qwen2's or Llama 3's Split + ByteLevel"

export function readFamilyShape(
  file: HfTokenizerFile,
  invalid: (why: string) => UserError,
): FamilyShape {
  const model = file.model ?? {}
  if (model.dropout !== undefined && model.dropout !== null && model.dropout !== 0)
    throw invalid(
      `model.dropout is ${JSON.stringify(model.dropout)}; only deterministic BPE is encoded`,
    )
  for (const field of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
    const value = model[field]
    if (value !== undefined && value !== null && value !== '')
      throw invalid(`model.${field} is ${JSON.stringify(value)}, which neither byte-level nor SentencePiece BPE uses`)
  }
  if (model.byte_fallback === true) return readSentencePieceShape(file, invalid)

  const preTokenizer = preTokenizerKind(file.pre_tokenizer)
  if ((file.pre_tokenizer as Step | null | undefined)?.add_prefix_space === true)
    throw invalid(
      'its pre_tokenizer adds a prefix space (add_prefix_space), which changes every first word',
    )
  if (preTokenizer === undefined)
    throw invalid(`its pre_tokenizer is not one this engine encodes exactly (${KNOWN})`)

  const normalizerType = (file.normalizer as { type?: unknown } | null | undefined)?.type
  if (file.normalizer && normalizerType !== 'NFC')
    throw invalid(
      `its normalizer ${JSON.stringify(normalizerType ?? file.normalizer)} is not applied by this engine (only NFC is)`,
    )
  const decoderType = (file.decoder as { type?: unknown } | null | undefined)?.type
  if (file.decoder && decoderType !== 'ByteLevel')
    throw invalid(`its decoder ${JSON.stringify(decoderType)} is not ByteLevel`)

  const shape: ByteLevelShape = {
    kind: 'byte-level',
    preTokenizer,
    normalizer: file.normalizer ? 'nfc' : null,
    ignoreMerges: model.ignore_merges === true,
    // Byte-level files keep whatever post_processor they had; only a BOS template is acted on.
    beginOfText: safely(() => readBeginOfText(file.post_processor, invalid)),
    sections: null,
  }
  const canonical =
    preTokenizer === 'gpt2' &&
    shape.normalizer === null &&
    !shape.ignoreMerges &&
    shape.beginOfText === null
  if (!canonical) shape.sections = familySections(file)
  return shape
}

/** A byte-level file's post_processor that is not a BOS template is left as it was (no BOS). */
function safely(read: () => string | null): string | null {
  try {
    return read()
  } catch {
    return null
  }
}
