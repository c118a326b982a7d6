/**
 * A SentencePiece-style BPE vocabulary (Llama 2, TinyLlama): the encoding tables built from a
 * `tokenizer.json`'s vocabulary and merges, and decoding as its decoder
 * `Sequence[Replace(▁ → " "), ByteFallback, Fuse, Strip(" ", 1, 0)]` does it: ▁ becomes a space,
 * each run of `<0xNN>` tokens becomes the text of its bytes, and the first space of the whole text
 * is dropped (the ▁ encoding put in front).
 *
 * A byte run that is not valid UTF-8 decodes to one U+FFFD per byte, and a U+FEFF in a run is
 * kept: as the Rust `tokenizers` (Python's `transformers`) decode. The JavaScript port decodes
 * such runs with a default TextDecoder instead (fewer U+FFFD, a leading U+FEFF dropped); every
 * valid run decodes alike in both.
 */
import { UserError } from '../../../shared/errors'
import { META, type SentencePiecePrepend, type SentencePieceTables } from './sentencepiece-encoder'

export interface SentencePieceOptions {
  prepend: SentencePiecePrepend
  /** The decoder's trailing `Strip(" ", 1, 0)`. */
  stripsLeadingSpace: boolean
  beginOfText: number | null
}

/** `<0x41>` → 0x41; -1 for any other token. */
export function byteOfToken(token: string): number {
  if (token.length !== 6 || !token.startsWith('<0x') || token[5] !== '>') return -1
  const hex = token.slice(3, 5)
  return /^[0-9A-Fa-f]{2}$/.test(hex) ? parseInt(hex, 16) : -1
}

export const byteToken = (byte: number): string =>
  `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`

export class SentencePieceVocab {
  readonly tables: SentencePieceTables
  /** Per id: the text it decodes to (▁ as a space); undefined for a byte token or an unused id. */
  private readonly texts: Array<string | undefined>
  /** Per id: its byte for a `<0xNN>` token, else -1. */
  private readonly bytes: Int16Array

  constructor(
    vocab: ReadonlyMap<string, number>,
    merges: ReadonlyArray<readonly [string, string]>,
    specials: ReadonlyArray<{ id: number; content: string }>,
    vocabSize: number,
    private readonly options: SentencePieceOptions,
    invalid: (why: string) => UserError,
  ) {
    this.texts = new Array<string | undefined>(vocabSize)
    this.bytes = new Int16Array(vocabSize).fill(-1)
    const bmpIds = new Int32Array(0x10000).fill(-1)
    const astralIds = new Map<number, number>()
    const byteIds = new Int32Array(256).fill(-1)
    const tokens: Array<[string, number]> = [
      ...vocab,
      ...specials.map((special): [string, number] => [special.content, special.id]),
    ]
    for (const [token, id] of tokens) {
      const byte = byteOfToken(token)
      if (byte >= 0) {
        this.bytes[id] = byte
        byteIds[byte] = id
      } else {
        this.texts[id] = token.replaceAll(META, ' ')
      }
    }
    for (const [token, id] of vocab) {
      const point = token.codePointAt(0) as number
      if (token.length !== (point > 0xffff ? 2 : 1)) continue
      if (point <= 0xffff) bmpIds[point] = id
      else astralIds.set(point, id)
    }
    const missing = byteIds.findIndex((id) => id < 0)
    if (missing >= 0)
      throw invalid(
        `model.vocab has no byte token ${byteToken(missing)}; byte fallback needs all 256 (<0x00> to <0xFF>)`,
      )

    const pairs = new Int32Array(2 * merges.length)
    const mergeIds = new Int32Array(merges.length)
    const joinedBeforeMeta = new Set<number>()
    merges.forEach(([left, right], rank) => {
      const a = vocab.get(left)
      const b = vocab.get(right)
      const merged = vocab.get(left + right)
      if (a === undefined || b === undefined || merged === undefined)
        throw invalid(`merge ${rank} ("${left} ${right}") uses a token missing from the vocabulary`)
      pairs[2 * rank] = a
      pairs[2 * rank + 1] = b
      mergeIds[rank] = merged
      if (right.startsWith(META)) joinedBeforeMeta.add(lastCodePoint(left))
      // A cut after "\n" (chunks.ts) is exact only if no merge joins a newline to what follows.
      if (left.endsWith('\n') && right.length > 0 && !/^\s/u.test(right))
        throw invalid(
          `merge ${rank} ("${left} ${right}") joins a newline to the next character, which the studio's cuts of long documents at line ends assume no merge does`,
        )
    })
    this.tables = {
      vocabSize,
      bmpIds,
      astralIds,
      byteIds,
      merges: pairs,
      mergeIds,
      joinedBeforeMeta,
      prepend: options.prepend,
      beginOfText: options.beginOfText ?? -1,
    }
  }

  decode(ids: ArrayLike<number>): string {
    return this.pieces(ids).join('')
  }

  /** The text each id completes (a byte run's characters at the byte that ends each). */
  pieces(ids: ArrayLike<number>): string[] {
    const pieces = new Array<string>(ids.length)
    let runStart = 0
    for (let i = 0; i <= ids.length; i++) {
      const byte = i < ids.length ? this.byteOf(ids[i]) : -1
      if (byte >= 0) continue
      if (runStart < i) this.decodeRun(ids, runStart, i, pieces)
      if (i < ids.length) pieces[i] = this.texts[ids[i]] as string
      runStart = i + 1
    }
    if (this.options.stripsLeadingSpace) {
      const first = pieces.findIndex((piece) => piece.length > 0)
      if (first >= 0 && pieces[first][0] === ' ') pieces[first] = pieces[first].slice(1)
    }
    return pieces
  }

  private byteOf(id: number): number {
    if (!(id >= 0 && id < this.bytes.length) || (this.bytes[id] < 0 && this.texts[id] === undefined))
      throw new UserError(
        'invalid-input',
        `Token id ${id} is not in this vocabulary (0–${this.bytes.length - 1}).`,
      )
    return this.bytes[id]
  }

  /** Bytes of ids [start, end) → pieces: each character at its last byte; invalid: U+FFFD per byte. */
  private decodeRun(ids: ArrayLike<number>, start: number, end: number, pieces: string[]): void {
    const run = new Uint8Array(end - start)
    for (let i = start; i < end; i++) run[i - start] = this.bytes[ids[i]]
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(run)
    } catch {
      for (let i = start; i < end; i++) pieces[i] = '\uFFFD'
      return
    }
    let at = 0
    for (let i = start; i < end; i++) {
      pieces[i] = ''
      if (i + 1 < end && (run[i + 1 - start] & 0xc0) === 0x80) continue
      // This byte ends a character: its UTF-16 units are the next of `text`.
      const point = text.codePointAt(at) as number
      const units = point > 0xffff ? 2 : 1
      pieces[i] = text.slice(at, at + units)
      at += units
    }
  }
}

function lastCodePoint(text: string): number {
  const points = Array.from(text)
  return points.length > 0 ? (points[points.length - 1].codePointAt(0) as number) : -1
}
