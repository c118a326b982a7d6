/**
 * The train/validation split. Whole documents go to validation, chosen by a seeded shuffle until
 * they make up the requested fraction of the corpus; the stream then holds the training documents
 * first and the validation documents after them, so each side is one contiguous range of tokens.
 * A corpus too small for that (one document, or validation shorter than a window) has its
 * validation cut from the end of the stream instead.
 */
import { UserError } from '../../../shared/errors'
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

/** The RNG stream the split draws from, so it never shares numbers with other uses of the seed. */
const SPLIT_STREAM = 0x5911

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
