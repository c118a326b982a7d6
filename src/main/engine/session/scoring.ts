/**
 * Scoring a text with a model: the mean cross-entropy of the text's own tokens, nothing prepended.
 *
 * The rule: the tokens are cut into windows of seqLen + 1 tokens that overlap by one token — window
 * k covers tokens [k·T, k·T + T]; it predicts its tokens 1..T from the ones before them in the same
 * window. So every token except the very first is scored exactly once, with 0..T−1 tokens of
 * context from its window. A last, shorter window (fewer than T tokens left) is scored the same way,
 * token by token.
 */
import type { Trainer } from '../model/trainer'
import { UserError } from '../../../shared/errors'

export interface Score {
  /** Σ −ln p(token) over the scored tokens. */
  sumLoss: number
  /** Tokens scored: the text's tokens minus one. */
  tokens: number
}

/** Window starts handed to the trainer at once (its batch). */
const DEFAULT_CHUNK = 8

/** A token stream in shared memory, as the trainer's spheres read it. */
export function sharedTokenArray(ids: ArrayLike<number>, vocabSize: number): Uint16Array | Uint32Array {
  const wide = vocabSize > 0x10000
  const bytes = (wide ? 4 : 2) * ids.length
  const buffer = new SharedArrayBuffer(Math.max(4, bytes + (bytes % 4)))
  const array = wide ? new Uint32Array(buffer, 0, ids.length) : new Uint16Array(buffer, 0, ids.length)
  array.set(ids)
  return array
}

export interface ScoreOptions {
  /** Checked between batches: an aborted signal ends the scoring with a `cancelled` error. */
  signal?: AbortSignal
  /** Called as tokens are scored, with how many were scored since the last call. */
  onScored?: (tokens: number) => void
}

export async function scoreTokens(
  model: Pick<Trainer, 'evaluate' | 'logits' | 'config'>,
  ids: ArrayLike<number>,
  chunk = DEFAULT_CHUNK,
  options: ScoreOptions = {},
): Promise<Score> {
  const { signal, onScored } = options
  const T = model.config.seqLen
  const n = ids.length
  if (n < 2) return { sumLoss: 0, tokens: 0 }
  const tokens = sharedTokenArray(ids, model.config.vocabSize)

  let sumLoss = 0
  let scored = 0
  const starts: number[] = []
  for (let start = 0; start + T < n; start += T) starts.push(start)
  for (let i = 0; i < starts.length; i += chunk) {
    throwIfCancelled(signal)
    const batch = starts.slice(i, i + chunk)
    const mean = await model.evaluate(tokens, batch)
    sumLoss += mean * batch.length * T
    scored += batch.length * T
    onScored?.(batch.length * T)
  }

  // The tail window: tokens after the last full window, each predicted from its window's earlier tokens.
  const tailStart = starts.length * T
  for (let i = tailStart + 1; i < n; i++) {
    throwIfCancelled(signal)
    const logits = await model.logits(Array.from({ length: i - tailStart }, (_, j) => ids[tailStart + j]))
    sumLoss += crossEntropy(logits, ids[i])
    scored++
    onScored?.(1)
  }
  return { sumLoss, tokens: scored }
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new UserError('cancelled', 'Evaluation cancelled.')
}

/** −ln softmax(logits)[target], computed stably in double precision. */
export function crossEntropy(logits: ArrayLike<number>, target: number): number {
  let max = -Infinity
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i]
  let sum = 0
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max)
  return Math.log(sum) + max - logits[target]
}
