/**
 * Choosing the next token from the model's logits: greedy (temperature 0) or a draw from the
 * softmax at a temperature, restricted to the k most likely tokens and/or the nucleus of mass p.
 * The draw takes its uniform number from the caller's seeded generator, so a seed repeats a text.
 */

export interface SamplingOptions {
  /** 0: greedy. */
  temperature: number
  /** Keep the k most likely tokens; 0 keeps all. */
  topK: number
  /** Keep the smallest set of most likely tokens whose mass reaches p; 1 keeps all. */
  topP: number
}

/** Index of the largest logit (the lowest index on ties), ignoring NaN. */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0
  let bestValue = -Infinity
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] > bestValue) {
      bestValue = logits[i]
      best = i
    }
  }
  return best
}

/**
 * The distribution sampling draws from, as (token, probability) sorted by probability (ties by
 * token id, so the order never depends on the sort's stability), after temperature, top-k, top-p.
 */
export function samplingDistribution(
  logits: ArrayLike<number>,
  options: SamplingOptions,
): { tokens: number[]; probs: number[] } {
  const n = logits.length
  let max = -Infinity
  for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i]
  const weights = new Float64Array(n)
  for (let i = 0; i < n; i++) weights[i] = Math.exp((logits[i] - max) / options.temperature)
  const order = Array.from({ length: n }, (_, i) => i).filter((i) => weights[i] > 0)
  order.sort((a, b) => weights[b] - weights[a] || a - b)
  let kept = options.topK > 0 ? order.slice(0, options.topK) : order
  let total = 0
  for (const token of kept) total += weights[token]
  if (options.topP < 1) {
    let mass = 0
    let cut = kept.length
    for (let i = 0; i < kept.length; i++) {
      mass += weights[kept[i]] / total
      if (mass >= options.topP) {
        cut = i + 1
        break
      }
    }
    kept = kept.slice(0, cut)
    total = 0
    for (const token of kept) total += weights[token]
  }
  return { tokens: kept, probs: kept.map((token) => weights[token] / total) }
}

/** The next token. `random` returns a uniform number in [0, 1). */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, random: () => number): number {
  if (options.temperature === 0) return argmax(logits)
  const { tokens, probs } = samplingDistribution(logits, options)
  if (tokens.length === 0) return argmax(logits)
  let u = random()
  for (let i = 0; i < tokens.length; i++) {
    u -= probs[i]
    if (u < 0) return tokens[i]
  }
  return tokens[tokens.length - 1]
}
