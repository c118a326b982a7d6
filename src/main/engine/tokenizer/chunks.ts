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

/** Splits pieces into `count` contiguous shards of about equal character counts. */
export function shardBySize<T extends { text: string }>(pieces: T[], count: number): T[][] {
  const total = pieces.reduce((sum, piece) => sum + piece.text.length, 0)
  const shards: T[][] = []
  let current: T[] = []
  let done = 0
  for (const piece of pieces) {
    current.push(piece)
    done += piece.text.length
    const boundary = (total * (shards.length + 1)) / count
    if (done >= boundary && shards.length < count - 1) {
      shards.push(current)
      current = []
    }
  }
  shards.push(current)
  return shards.filter((shard) => shard.length > 0)
}
