/**
 * The train/validation split. Two methods:
 * - `blocks` (the default): every document is cut into blocks of about 4 KiB at line boundaries
 *   (the safe cuts of tokenizer/chunks.ts, so a block tokenizes as it does inside its file), and in
 *   each stretch of about 4 KiB / fraction of the corpus a seeded choice of blocks goes to
 *   validation. Both sides then hold the same mix of the corpus: a huge file contributes to both,
 *   in proportion, instead of one side being the few huge files and the other the many small ones.
 * - `files`: whole documents go to validation, chosen by a seeded shuffle until they make up the
 *   requested fraction (the behaviour of runs made before blocks existed).
 * The stream holds the training segments first and the validation segments after them, so each
 * side is one contiguous range of tokens; a segment is a run of consecutive blocks of one document
 * on one side, followed by end-of-text. A corpus too small for that (one block, or validation
 * shorter than a window) has its validation cut from the end of the stream instead.
 */
import { UserError } from '../../../shared/errors'
import type { SplitMethod } from '../../../shared/tokenizer'
import { cutText } from '../tokenizer/chunks'
import { Rng } from '../rng'

/** A half-open range [start, end) of the token stream. */
export interface TokenRange {
  start: number
  end: number
}

export interface SplitRanges {
  train: TokenRange
  validation: TokenRange
  /** True only for a corpus under two windows: its one validation window overlaps training. */
  overlapping: boolean
}

/** The RNG streams the splits draw from, so they never share numbers with other uses of the seed. */
const SPLIT_STREAM = 0x5911
const BLOCK_STREAM = 0x5912
/** Blocks of about this many characters: small beside a file worth splitting, large beside a window. */
export const BLOCK_CHARS = 4096

/** A part of one document that lies wholly on one side of the split. */
export interface SplitSegment {
  /** Index of the document it comes from. */
  document: number
  text: string
  validation: boolean
  /**
   * The segment starts inside its document (an earlier segment holds the document's start): it is
   * encoded as the rest of that document (no BOS, no SentencePiece ▁ in front), so that a
   * document's segments together encode as the whole file does.
   */
  continues: boolean
}

/**
 * The corpus as segments in stream order: all training segments (in corpus order), then all
 * validation segments (in corpus order). Segments of one document concatenate to it.
 */
export function splitSegments(
  texts: readonly string[],
  method: SplitMethod,
  fraction: number,
  seed: number,
  blockChars = BLOCK_CHARS,
): SplitSegment[] {
  checkFraction(fraction)
  const segments: SplitSegment[] = []
  if (method === 'files') {
    const isValidation = chooseValidation(
      texts.map((text) => Buffer.byteLength(text, 'utf8')),
      fraction,
      seed,
    )
    texts.forEach((text, document) =>
      segments.push({ document, text, validation: isValidation[document], continues: false }),
    )
  } else {
    const blocks = texts.flatMap((text, document) =>
      cutText(text, blockChars).map((piece) => ({ document, text: piece })),
    )
    const isValidation = chooseValidationBlocks(
      blocks.map((block) => Buffer.byteLength(block.text, 'utf8')),
      fraction,
      seed,
      blockChars / fraction,
    )
    blocks.forEach((block, i) => {
      const last = segments.at(-1)
      if (last && last.document === block.document && last.validation === isValidation[i]) {
        last.text += block.text
      } else {
        segments.push({ ...block, validation: isValidation[i], continues: last?.document === block.document })
      }
    })
  }
  return [
    ...segments.filter((segment) => !segment.validation),
    ...segments.filter((segment) => segment.validation),
  ]
}

/**
 * Marks the blocks that go to validation. The blocks, in corpus order, are grouped into strata of
 * at least `stratumBytes`; in each, blocks in a seeded order go to validation while each brings the
 * stratum's validation bytes closer to its share (what earlier strata fell short of or overshot is
 * carried over), so every stretch of the corpus, and so every large file, is represented on both
 * sides. A corpus whose only block would go to validation keeps it for training.
 */
export function chooseValidationBlocks(
  sizes: readonly number[],
  fraction: number,
  seed: number,
  stratumBytes: number,
): boolean[] {
  checkFraction(fraction)
  const rng = Rng.seeded(seed, BLOCK_STREAM)
  const validation = new Array<boolean>(sizes.length).fill(false)
  let carry = 0
  let taken = 0
  let total = 0
  for (let start = 0; start < sizes.length; ) {
    let end = start
    let bytes = 0
    while (end < sizes.length && bytes < stratumBytes) bytes += sizes[end++]
    const target = bytes * fraction + carry
    let stratumTaken = 0
    const order = rng.shuffle(Array.from({ length: end - start }, (_, i) => start + i))
    for (const i of order) {
      if (sizes[i] > 0 && stratumTaken + sizes[i] / 2 < target) {
        validation[i] = true
        stratumTaken += sizes[i]
      }
    }
    carry = target - stratumTaken
    taken += stratumTaken
    total += bytes
    start = end
  }
  // Training must keep text: a split that left it none falls back to the end of the stream.
  return taken >= total ? validation.fill(false) : validation
}

/** Marks the documents that go to validation. `sizes` are their lengths (any unit, e.g. bytes). */
export function chooseValidation(
  sizes: readonly number[],
  fraction: number,
  seed: number,
): boolean[] {
  checkFraction(fraction)
  const total = sizes.reduce((sum, size) => sum + size, 0)
  const target = total * fraction
  const order = Rng.seeded(seed, SPLIT_STREAM).shuffle(sizes.map((_, i) => i))
  const validation = new Array<boolean>(sizes.length).fill(false)
  let taken = 0
  // Take documents in shuffled order while they fit: never more than the fraction, so training
  // always keeps documents, and one huge file cannot end up as the whole validation set.
  for (const i of order) {
    if (sizes[i] > 0 && taken + sizes[i] <= target) {
      validation[i] = true
      taken += sizes[i]
    }
  }
  return validation
}

export function checkFraction(fraction: number): void {
  if (!(fraction > 0 && fraction <= 0.5)) {
    throw new UserError(
      'invalid-config',
      `--val-fraction ${fraction} is out of range: use a number above 0 and at most 0.5.`,
    )
  }
}

export interface StreamLayout {
  totalTokens: number
  /** Where the validation documents start in the stream (= totalTokens when there are none). */
  validationStart: number
  validationDocuments: number
  fraction: number
}

/**
 * The token ranges for windows of `seqLen + 1` tokens. Throws invalid-config when the corpus has
 * fewer tokens than one window.
 */
export function splitRanges(layout: StreamLayout, seqLen: number): SplitRanges {
  const window = seqLen + 1
  const total = layout.totalTokens
  if (total < window) {
    throw new UserError(
      'invalid-config',
      `The corpus has only ${total} tokens, fewer than one training window of --seq-len ${seqLen} + 1 = ${window} tokens: add text or lower --seq-len.`,
    )
  }
  let validationStart = layout.validationStart
  if (layout.validationDocuments === 0) {
    validationStart = total - Math.max(window, Math.ceil(total * layout.fraction))
  } else if (total - validationStart < window) {
    validationStart = total - window
  }
  validationStart = Math.max(0, validationStart)
  const trainEnd = Math.max(validationStart, window)
  return {
    train: { start: 0, end: trainEnd },
    validation: { start: validationStart, end: total },
    overlapping: trainEnd > validationStart,
  }
}
