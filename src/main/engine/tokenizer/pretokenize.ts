/**
 * GPT-2's pre-tokenizer: text is cut into words (letters, digits, punctuation runs, whitespace, each
 * with at most one leading space, and English contractions) and BPE never merges across a cut. The
 * pattern is exactly the one Hugging Face's ByteLevel pre-tokenizer uses, so our splits agree.
 */
export const GPT2_PATTERN = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

/** A fresh global regex (a `g` regex carries `lastIndex`, so callers that interleave need their own). */
export function preTokenRegex(): RegExp {
  return new RegExp(GPT2_PATTERN, 'gu')
}

/**
 * Calls `visit` with each pre-token of `text`, in order. The alternatives cover every code point
 * (lone surrogates included), so the pre-tokens concatenate to the text.
 */
export function forEachPreToken(text: string, regex: RegExp, visit: (word: string) => void): void {
  regex.lastIndex = 0
  let match: RegExpExecArray | null
  while ((match = regex.exec(text)) !== null) visit(match[0])
}
