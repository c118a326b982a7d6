/**
 * Deterministic mixed text for tokenizer tests: source code (tabs, CRLF, long lines), English
 * prose with contractions, and Unicode (CJK, emoji with modifiers and ZWJ, accents and combining
 * marks, other scripts and digits, unusual spaces, a BOM), plus long runs of one character class.
 */
import { Rng } from '../../../../../src/main/engine/rng'

const WORDS = [
  'the',
  'model',
  'learns',
  'from',
  'every',
  'file',
  'in',
  'your',
  'folder',
  'and',
  'it',
  'runs',
  'on',
  'a',
  'CPU',
  'Spheres',
  'token',
  'batch',
  'gradient',
  'loss',
]
const CONTRACTIONS = ["it's", "don't", "they'll", "I'm", "we've", "she'd", "you're", "'s", "O'Neil"]
const IDENTIFIERS = [
  'value',
  'count',
  'result',
  'buffer',
  'index',
  'tokens',
  'onProgress',
  'MAX_SIZE',
  'x',
  'i',
  '_private',
  '$el',
]
const OPERATORS = [
  ' = ',
  ' === ',
  ' + ',
  ' => ',
  ', ',
  '; ',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  '.',
  ' && ',
  ' ?? ',
  '!',
  '//',
  '/*',
  '*/',
  '`${',
  '}`',
]
const UNICODE = [
  '日本語のテキスト',
  '中文分词',
  '한국어',
  'Привет, мир',
  'مرحبا بالعالم',
  'नमस्ते दुनिया',
  'Ελληνικά',
  'naïve café',
  'e\u0301',
  'Zürich',
  '😀',
  '👍🏽',
  '👨‍👩‍👧',
  '🇫🇷',
  '∑∫√∞',
  '٣٤٥',
  '①②',
  '\u00a0',
  '\u3000',
  '\u200b',
  '\ufeff',
  '€',
  '—',
  '…',
  '«»',
]

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.nextInt(items.length)]
}

function codeLine(rng: Rng): string {
  const indent =
    rng.nextInt(4) === 0 ? '\t'.repeat(1 + rng.nextInt(2)) : ' '.repeat(2 * rng.nextInt(4))
  let line = indent
  const parts = 3 + rng.nextInt(10)
  for (let i = 0; i < parts; i++) {
    const r = rng.nextInt(10)
    if (r < 4) line += pick(rng, IDENTIFIERS)
    else if (r < 8) line += pick(rng, OPERATORS)
    else if (r < 9) line += String(rng.nextInt(100_000))
    else line += `'${pick(rng, WORDS)}'`
  }
  if (rng.nextInt(6) === 0) line += '   ' // trailing spaces
  return line + (rng.nextInt(3) === 0 ? '\r\n' : '\n')
}

function proseLine(rng: Rng): string {
  const words: string[] = []
  const n = 5 + rng.nextInt(20)
  for (let i = 0; i < n; i++) {
    const r = rng.nextInt(12)
    words.push(r < 9 ? pick(rng, WORDS) : r < 11 ? pick(rng, CONTRACTIONS) : pick(rng, UNICODE))
  }
  const space = rng.nextInt(8) === 0 ? '  ' : ' '
  return (
    words.join(space) +
    pick(rng, ['.', '!', '?', ',', ':', '...', '']) +
    pick(rng, ['\n', '\n\n', '\r\n', ' \n'])
  )
}

function unicodeLine(rng: Rng): string {
  let line = ''
  const n = 3 + rng.nextInt(12)
  for (let i = 0; i < n; i++) {
    const r = rng.nextInt(6)
    if (r === 0) line += String.fromCodePoint(0x4e00 + rng.nextInt(0x5000))
    else if (r === 1) line += String.fromCodePoint(0x1f300 + rng.nextInt(0x300))
    else line += pick(rng, UNICODE)
    if (rng.nextInt(3) === 0) line += ' '
  }
  return line + '\n'
}

function longRun(rng: Rng): string {
  const length = 200 + rng.nextInt(1000)
  const kind = rng.nextInt(6)
  if (kind === 0) return ' '.repeat(length) + 'x\n'
  if (kind === 1) return '9'.repeat(length) + '\n'
  if (kind === 2) return '='.repeat(length) + '\n'
  if (kind === 3) return 'ab'.repeat(length) + '\n'
  if (kind === 4) return '\t'.repeat(length >> 3) + '\n'
  // A long line of code with no newline.
  let line = ''
  while (line.length < length * 4) line += codeLine(rng).replace(/\r?\n$/, ' ')
  return line + '\n'
}

/** About `bytes` bytes of UTF-8 (a little more), the same for the same seed. */
export function mixedText(bytes: number, seed = 1): string {
  const rng = Rng.seeded(seed)
  const parts: string[] = []
  let size = 0
  while (size < bytes) {
    const r = rng.nextInt(40)
    const part =
      r < 16 ? codeLine(rng) : r < 30 ? proseLine(rng) : r < 39 ? unicodeLine(rng) : longRun(rng)
    parts.push(part)
    size += Buffer.byteLength(part, 'utf8')
  }
  return parts.join('')
}
