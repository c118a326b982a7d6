/**
 * Pre-tokenizers: text is cut into words and BPE never merges across a cut. GPT-2's is the one a
 * tokenizer trained here uses; the others are those of today's byte-level families, so that their
 * `tokenizer.json` encodes here exactly as Hugging Face's tokenizer encodes it:
 *
 * - `gpt2`: the ByteLevel pre-tokenizer's own regex (GPT-2, and any file trained here).
 * - `smollm`: `Digits(individual_digits)` then ByteLevel's regex (SmolLM, StarCoder): every digit a
 *   word of its own, and ByteLevel's regex run on the pieces between them.
 * - `qwen2`: `Split(regex, Isolated)` then ByteLevel without regex (Qwen2, Qwen2.5), one digit a word.
 * - `llama3`: as `qwen2` with up to three digits a word (Llama 3).
 *
 * Each is one sticky regex whose alternatives cover every code point, so matching from where the
 * last word ended always succeeds and the words concatenate to the text. `(?i:…)` in the families'
 * patterns folds ASCII only here, as in `@huggingface/tokenizers` (Oniguruma would also fold ſ).
 */
export type PreTokenizerKind = 'gpt2' | 'smollm' | 'qwen2' | 'llama3'

export const GPT2_PATTERN = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

/**
 * SmolLM's two stages as one regex: a digit alone first; then GPT-2's alternatives without its digit
 * run, and "whitespace before the end of the piece" also true before a digit (where Digits cut).
 */
const SMOLLM_PATTERN = String.raw`\p{N}|'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?[^\s\p{L}\p{N}]+|\s+(?:(?!\S)|(?=\p{N}))|\s+`

const CONTRACTIONS_ANY_CASE = String.raw`'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]`

/**
 * The families' Split pattern, `digits` the quantifier of its number alternative. Split regexes mean
 * Unicode White_Space by `\s` (Oniguruma's, and the JavaScript port's translation): JavaScript's
 * own `\s` would add U+FEFF and miss U+0085.
 */
function splitPattern(digits: string): string {
  const s = String.raw`\p{White_Space}`
  const S = String.raw`\P{White_Space}`
  return String.raw`${CONTRACTIONS_ANY_CASE}|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}${digits}| ?[^${s}\p{L}\p{N}]+[\r\n]*|${s}*[\r\n]+|${s}+(?!${S})|${s}+`
}

const PATTERNS: Record<PreTokenizerKind, string> = {
  gpt2: GPT2_PATTERN,
  smollm: SMOLLM_PATTERN,
  qwen2: splitPattern(''),
  llama3: splitPattern('{1,3}'),
}

/** The Split regexes of the families' tokenizer.json files, as they are written there. */
export const FAMILY_SPLIT_PATTERNS = {
  qwen2: String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
  llama3: String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
} as const

/**
 * A fresh sticky regex for `kind` (it carries `lastIndex`, so callers that interleave need their
 * own). Lone surrogates are matched too (by the punctuation alternative).
 */
export function preTokenRegex(kind: PreTokenizerKind = 'gpt2'): RegExp {
  return new RegExp(PATTERNS[kind], 'uy')
}

/** The words of `text` under `kind`, back to back (for tests and tools; encoders match in place). */
export function preTokenize(text: string, kind: PreTokenizerKind = 'gpt2'): string[] {
  const regex = preTokenRegex(kind)
  const words: string[] = []
  let start = 0
  while (start < text.length && regex.test(text)) {
    words.push(text.slice(start, regex.lastIndex))
    start = regex.lastIndex
  }
  return words
}
