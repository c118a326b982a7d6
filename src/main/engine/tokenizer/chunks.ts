/**
 * Cuts long documents into pieces that tokenize exactly as the whole does, so one large file can
 * be spread over several threads (word counting and encoding). A cut goes right after a "\n" that sits between two
 * non-space characters: GPT-2's pre-tokenizer always ends a word there (the newline is a word of its
 * own, with nothing on either side it could join), and whitespace splitting cuts there too.
 */
const SAFE_CUT = /\S\n(?=\S)/g

export interface TextPiece {
  /** Index of the document the piece belongs to. */
  document: number
  text: string
}

/** The documents as pieces of about `targetChars` characters at most (longer where no cut exists). */
export function cutDocuments(texts: readonly string[], targetChars: number): TextPiece[] {
  const pieces: TextPiece[] = []
  texts.forEach((text, document) => {
    for (const piece of cutText(text, targetChars)) pieces.push({ document, text: piece })
  })
  return pieces
}

export function cutText(text: string, targetChars: number): string[] {
  if (text.length <= targetChars) return [text]
  const pieces: string[] = []
  let start = 0
  while (text.length - start > targetChars) {
    SAFE_CUT.lastIndex = start + Math.max(1, targetChars - 2)
    const match = SAFE_CUT.exec(text)
    if (match === null) break
    const cut = match.index + 2
    pieces.push(text.slice(start, cut))
    start = cut
  }
  pieces.push(text.slice(start))
  return pieces
}
