import { z } from 'zod'
import { ChatTokenCounts } from './chat'

/** `bpe`: byte-level BPE trained on the corpus (the default). `word`: the original CLLM word vocabulary. */
export const TokenizerKind = z.enum(['bpe', 'word'])
export type TokenizerKind = z.infer<typeof TokenizerKind>

/**
 * Vocabulary sizes the engine accepts. BPE needs its 256 byte tokens and `<|endoftext|>`; the word
 * tokenizer its five specials and one word. Above 65,536 the token stream switches from Uint16 to
 * Uint32; 262,144 is the engine's ceiling (an embedding that large no longer fits a small model).
 */
export const VOCAB_LIMITS = {
  bpe: { min: 257, max: 262_144 },
  word: { min: 6, max: 262_144 },
} as const satisfies Record<TokenizerKind, { min: number; max: number }>

export const DEFAULT_VOCAB_SIZE = 8192
export const DEFAULT_VALIDATION_FRACTION = 0.1

/**
 * How the corpus is split between training and validation: `blocks` of about 4 KiB cut at line
 * boundaries, chosen so both sides hold the same mix of the corpus (the default), or whole `files`
 * (the only method before blocks; a run or dataset that records no method used it).
 */
export const SplitMethod = z.enum(['blocks', 'files'])
export type SplitMethod = z.infer<typeof SplitMethod>
export const DEFAULT_SPLIT_METHOD: SplitMethod = 'blocks'

/** What one side of the split holds: files with text on that side, their UTF-8 bytes there, tokens. */
export const SplitSide = z.object({
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  tokens: z.number().int().nonnegative(),
})
export type SplitSide = z.infer<typeof SplitSide>

/** Tokenizer training (merges done of total) or corpus encoding (UTF-8 bytes done of total). */
export const TokenizeProgress = z.object({
  phase: z.enum(['train', 'encode']),
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
})
export type TokenizeProgress = z.infer<typeof TokenizeProgress>

export type SplitSummary = { method: SplitMethod; train: SplitSide; validation: SplitSide }

/**
 * One line for what each side of the split holds, the same in the CLI and the app:
 * "Split by blocks of ~4 KiB: training 107 files, 3.3 MiB (90.0 %); validation 98 files, 371 KiB (10.0 %)".
 * The shares are of the bytes on both sides together.
 */
export function describeSplit(split: SplitSummary, formatBytes: (bytes: number) => string): string {
  const both = split.train.bytes + split.validation.bytes
  const side = (label: string, s: SplitSide) =>
    `${label} ${s.files.toLocaleString('en-US')} ${s.files === 1 ? 'file' : 'files'}, ${formatBytes(s.bytes)} (${both > 0 ? ((100 * s.bytes) / both).toFixed(1) : '0.0'} %)`
  const how = split.method === 'blocks' ? 'by blocks of ~4 KiB' : 'by whole files'
  return `Split ${how}: ${side('training', split.train)}; ${side('validation', split.validation)}`
}

/** What a prepared dataset looks like, for the Data view. */
export const DatasetSummary = z.object({
  tokenizer: TokenizerKind,
  vocabSize: z.number().int().positive(),
  totalTokens: z.number().int().nonnegative(),
  trainTokens: z.number().int().nonnegative(),
  valTokens: z.number().int().nonnegative(),
  /** UTF-8 bytes of the corpus per token: the compression the tokenizer achieves. */
  bytesPerToken: z.number().nonnegative(),
  documents: z.number().int().nonnegative(),
  /** Chat data: prompt, answer and padding tokens, and the share that carries the loss. */
  chat: ChatTokenCounts.optional(),
  /** The split: its method and what each side holds. */
  split: z.object({ method: SplitMethod, train: SplitSide, validation: SplitSide }) satisfies z.ZodType<SplitSummary>,
})
export type DatasetSummary = z.infer<typeof DatasetSummary>

/**
 * A text as tokens. `pieces[i]` is the text token `ids[i]` completes; the pieces concatenate to the
 * decoded text (a token holding only part of a multi-byte character has an empty piece, and the
 * character goes to the token that completes it).
 */
export const TokenPreview = z.object({
  ids: z.array(z.number().int().nonnegative()),
  pieces: z.array(z.string()),
})
export type TokenPreview = z.infer<typeof TokenPreview>
