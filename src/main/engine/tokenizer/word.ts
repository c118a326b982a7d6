/**
 * The original CLLM word tokenizer: lowercased, whitespace-split words; five specials first; the
 * most frequent words fill the rest of the vocabulary (ties: the word seen first wins); any other
 * word is <UNK>. Saved as `vocab.txt`, one `token<TAB>count` line per id. Decoding joins the words
 * with single spaces, so case and the original spacing are lost, as they were in CLLM.
 */
import { UserError } from '../../../shared/errors'
import type { TokenBuffer } from './token-buffer'
import type { EncoderSpec, IdEncoder, Tokenizer } from './types'

export const WORD_SPECIAL_TOKENS = ['<PAD>', '<UNK>', '<BOS>', '<EOS>', '<MASK>'] as const
export const PAD = 0
export const UNK = 1
export const BOS = 2
export const EOS = 3
export const MASK = 4

const WHITESPACE = /\s+/

export class WordTokenizer implements Tokenizer {
  readonly kind = 'word' as const
  readonly fileName = 'vocab.txt' as const
  /** Documents are separated by <EOS>, the original's end-of-sequence token. */
  readonly endOfText = EOS
  readonly beginOfText = null
  private readonly ids = new Map<string, number>()

  private constructor(
    private readonly words: readonly string[],
    private readonly counts: readonly number[],
  ) {
    words.forEach((word, id) => {
      if (!this.ids.has(word)) this.ids.set(word, id)
    })
  }

  get vocabSize(): number {
    return this.words.length
  }

  /** Keeps the `vocabSize - 5` most frequent words of the texts. */
  static train(texts: Iterable<string>, vocabSize: number): WordTokenizer {
    const counts = new Map<string, number>()
    for (const text of texts) {
      for (const word of splitWords(text)) counts.set(word, (counts.get(word) ?? 0) + 1)
    }
    // Map order is first occurrence and Array.prototype.sort is stable: ties keep that order.
    const ranked = [...counts]
      .sort((x, y) => y[1] - x[1])
      .slice(0, vocabSize - WORD_SPECIAL_TOKENS.length)
    return new WordTokenizer(
      [...WORD_SPECIAL_TOKENS, ...ranked.map(([word]) => word)],
      [...WORD_SPECIAL_TOKENS.map(() => 0), ...ranked.map(([, count]) => count)],
    )
  }

  /** Reads a `vocab.txt`; `source` names it in errors. */
  static parse(text: string, source: string): WordTokenizer {
    const words: string[] = []
    const counts: number[] = []
    const lines = text.split('\n')
    if (lines[lines.length - 1] === '') lines.pop()
    lines.forEach((line, index) => {
      const [word, count, ...rest] = line.replace(/\r$/, '').split('\t')
      if (!word || rest.length > 0 || (count !== undefined && !/^\d+$/.test(count))) {
        throw new UserError(
          'invalid-input',
          `${source} line ${index + 1} is not "token<TAB>count".`,
        )
      }
      words.push(word)
      counts.push(count === undefined ? 0 : Number(count))
    })
    WORD_SPECIAL_TOKENS.forEach((special, id) => {
      if (words[id] !== special) {
        throw new UserError(
          'invalid-input',
          `${source} must start with ${WORD_SPECIAL_TOKENS.join(' ')} (ids 0–4).`,
        )
      }
    })
    return new WordTokenizer(words, counts)
  }

  encode(text: string): number[] {
    return splitWords(text).map((word) => this.ids.get(word) ?? UNK)
  }

  encodeInto(text: string, out: TokenBuffer): void {
    for (const word of splitWords(text)) out.push(this.ids.get(word) ?? UNK)
  }

  /** Lookups keep no state: the tokenizer is its own encoder. */
  createEncoder(): IdEncoder {
    return this
  }

  encoderSpec(): EncoderSpec {
    return { kind: 'word', words: [...this.words] }
  }

  /** The tokenizer of a vocabulary given as its words in id order (counts unknown: 0). */
  static fromWords(words: readonly string[]): WordTokenizer {
    return new WordTokenizer(words, new Array<number>(words.length).fill(0))
  }

  decode(ids: ArrayLike<number>): string {
    return this.pieces(ids).join('')
  }

  pieces(ids: ArrayLike<number>): string[] {
    const pieces: string[] = []
    for (let i = 0; i < ids.length; i++) {
      const word = this.words[ids[i]]
      if (word === undefined) {
        throw new UserError(
          'invalid-input',
          `Token id ${ids[i]} is not in this vocabulary (0–${this.vocabSize - 1}).`,
        )
      }
      pieces.push(i === 0 ? word : ` ${word}`)
    }
    return pieces
  }

  serialize(): string {
    return this.words.map((word, id) => `${word}\t${this.counts[id]}\n`).join('')
  }
}

function splitWords(text: string): string[] {
  return text
    .toLowerCase()
    .split(WHITESPACE)
    .filter((word) => word.length > 0)
}
