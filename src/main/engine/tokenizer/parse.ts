import { BpeTokenizer } from './bpe'
import type { Tokenizer } from './types'
import { WordTokenizer } from './word'

/** Reads a tokenizer from its file content: JSON is a Hugging Face `tokenizer.json`, else `vocab.txt`. */
export function parseTokenizer(content: string, source: string): Tokenizer {
  return content.trimStart().startsWith('{')
    ? BpeTokenizer.parse(content, source)
    : WordTokenizer.parse(content, source)
}
