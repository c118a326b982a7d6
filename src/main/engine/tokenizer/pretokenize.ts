/**
 * GPT-2's pre-tokenizer: text is cut into words (letters, digits, punctuation runs, whitespace, each
 * with at most one leading space, and English contractions) and BPE never merges across a cut. The
 * pattern is exactly the one Hugging Face's ByteLevel pre-tokenizer uses, so our splits agree.
 */
export const GPT2_PATTERN = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

/**
 * A fresh sticky regex (it carries `lastIndex`, so callers that interleave need their own). The
 * alternatives cover every code point (lone surrogates included), so matching from where the last
 * word ended always succeeds there: the pre-tokens are back to back and concatenate to the text.
 */
export function preTokenRegex(): RegExp {
  return new RegExp(GPT2_PATTERN, 'uy')
}
