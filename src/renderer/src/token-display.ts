/**
 * Tokens of a text as the preview draws them: each token a chip, whitespace made visible (a space
 * alone as ·, a tab as →, a line end as ↵ followed by the real break), so the reader sees where
 * the tokenizer cut, including around spaces and newlines.
 */

export interface ChipSegment {
  text: string
  /** A visible stand-in for whitespace, drawn faintly. */
  mark: boolean
}

export interface TokenChip {
  index: number
  id: number
  segments: ChipSegment[]
  /** The token holds part of a character only; the character shows in the next token. */
  partial: boolean
  /** The piece quoted with escapes ("\n", "\t"), for a readout; empty for a partial token. */
  quoted: string
  title: string
}

const MARKS: Record<string, string> = { '\t': '→', '\r': '␍', '\n': '↵\n' }

export function tokenChips(ids: readonly number[], pieces: readonly string[]): TokenChip[] {
  return ids.map((id, index) => {
    const piece = pieces[index] ?? ''
    const onlySpaces = piece.length > 0 && /^ +$/.test(piece)
    const segments: ChipSegment[] = []
    const push = (text: string, mark: boolean) => {
      const last = segments[segments.length - 1]
      if (last && last.mark === mark) last.text += text
      else segments.push({ text, mark })
    }
    for (const char of piece) {
      if (char in MARKS) push(MARKS[char], true)
      else if (char === ' ' && onlySpaces) push('·', true)
      else push(char, false)
    }
    const quoted = piece === '' ? '' : JSON.stringify(piece)
    return {
      index,
      id,
      segments,
      partial: piece === '',
      quoted,
      title: `token ${id}${piece === '' ? ' (part of a character)' : ` · ${quoted}`}`,
    }
  })
}
