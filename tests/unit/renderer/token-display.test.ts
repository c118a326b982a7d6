import { describe, expect, it } from 'vitest'
import { tokenChips } from '../../../src/renderer/src/token-display'
import { trainTokenizer } from '../../../src/main/engine/tokenizer'

const MARKS: Record<string, string> = { '→': '\t', '␍': '\r', '↵\n': '\n', '·': ' ' }

/** The text a chip stands for, with the visible whitespace marks turned back into whitespace. */
function unmark(chip: ReturnType<typeof tokenChips>[number]): string {
  return chip.segments
    .map((segment) =>
      segment.mark ? segment.text.replace(/↵\n|[→␍·]/g, (mark) => MARKS[mark]) : segment.text,
    )
    .join('')
}

describe('token chips', () => {
  it('stand for exactly the text of a real tokenizer’s pieces, whitespace made visible', async () => {
    const text =
      'Once upon a time,\tthere was a fox.\r\n\n    Indented code();  two  spaces\nélan — 漢字 🙂\n'
    const tokenizer = await trainTokenizer([text.repeat(3)], { kind: 'bpe', vocabSize: 300 })
    const ids = [...tokenizer.encode(text)]
    const pieces = tokenizer.pieces(ids)
    const chips = tokenChips(ids, pieces)
    expect(chips.map((chip) => chip.id)).toEqual(ids)
    expect(chips.map(unmark).join('')).toBe(text)
    for (const [i, chip] of chips.entries()) {
      const piece = pieces[i]
      expect(chip.partial).toBe(piece === '')
      expect(chip.title).toContain(String(ids[i]))
      // No raw tab or line end reaches the page without its mark; a token of spaces shows dots.
      const shown = chip.segments
        .filter((s) => !s.mark)
        .map((s) => s.text)
        .join('')
      expect(shown).not.toMatch(/[\t\r\n]/)
      if (/^ +$/.test(piece)) expect(shown).toBe('')
    }
  })
})
