import { describe, expect, it } from 'vitest'
import {
  countCodePoints,
  countInvalidUtf8Bytes,
  countLines,
  decodeUtf8,
  looksBinary,
  SNIFF_BYTES,
} from '../../../../../src/main/engine/corpus/text'

const bytes = (...values: number[]): Buffer => Buffer.from(values)

describe('looksBinary', () => {
  it('accepts plain, multilingual and emoji UTF-8 text', () => {
    expect(looksBinary(Buffer.from('hello\nworld\n'))).toBe(false)
    expect(looksBinary(Buffer.from('Grüße, 世界, привет, 👋🏽\n'.repeat(50)))).toBe(false)
  })

  it('calls anything with a NUL byte in the first 8 KB binary, including UTF-16 text', () => {
    expect(looksBinary(bytes(0x41, 0x00, 0x42))).toBe(true)
    expect(looksBinary(Buffer.from('\ufeffhi', 'utf16le'))).toBe(true)
  })

  it('only looks at the first 8 KB', () => {
    const text = Buffer.from('a'.repeat(SNIFF_BYTES))
    expect(looksBinary(Buffer.concat([text, bytes(0)]))).toBe(false)
    expect(looksBinary(Buffer.concat([text.subarray(1), bytes(0)]))).toBe(true)
  })

  it('does not hold a multi-byte character cut by the 8 KB boundary against a file', () => {
    const euro = Buffer.from('€') // 3 bytes
    const text = Buffer.concat([
      Buffer.from('a'.repeat(SNIFF_BYTES - 1)),
      euro,
      Buffer.from('tail'),
    ])
    expect(looksBinary(text)).toBe(false)
  })

  it('calls mostly invalid UTF-8 binary but lets a few stray Latin-1 bytes through', () => {
    const noise = Uint8Array.from({ length: 2000 }, (_, i) => 0x80 + ((i * 37) % 128))
    expect(looksBinary(noise)).toBe(true)
    const latin1 = Buffer.from(
      'caf\xe9 cr\xe8me br\xfbl\xe9e, a menu in an old encoding.\n'.repeat(20),
      'latin1',
    )
    expect(looksBinary(latin1)).toBe(false)
  })
})

describe('countInvalidUtf8Bytes', () => {
  it('counts nothing in well-formed UTF-8', () => {
    expect(countInvalidUtf8Bytes(Buffer.from('aé€😀'))).toBe(0)
  })

  it('counts stray continuation bytes, overlongs, surrogates and code points above U+10FFFF', () => {
    expect(countInvalidUtf8Bytes(bytes(0x80))).toBe(1)
    expect(countInvalidUtf8Bytes(bytes(0xc0, 0xaf))).toBe(2) // overlong '/'
    expect(countInvalidUtf8Bytes(bytes(0xe0, 0x80, 0xaf))).toBe(3) // overlong
    expect(countInvalidUtf8Bytes(bytes(0xed, 0xa0, 0x80))).toBe(3) // U+D800
    expect(countInvalidUtf8Bytes(bytes(0xf4, 0x90, 0x80, 0x80))).toBe(4) // U+110000
    expect(countInvalidUtf8Bytes(bytes(0xff, 0x41))).toBe(1)
  })

  it('counts a truncated sequence at the end unless the sample was cut short', () => {
    expect(countInvalidUtf8Bytes(bytes(0x41, 0xe2, 0x82))).toBe(2)
    expect(countInvalidUtf8Bytes(bytes(0x41, 0xe2, 0x82), true)).toBe(0)
  })
})

describe('decodeUtf8', () => {
  it('decodes once, drops a byte-order mark and replaces invalid bytes with U+FFFD', () => {
    expect(decodeUtf8(Buffer.from('\ufeffhé'))).toBe('hé')
    expect(decodeUtf8(bytes(0x61, 0xff, 0x62))).toBe('a\ufffdb')
    expect(decodeUtf8(Buffer.from('plain ascii'))).toBe('plain ascii')
  })
})

describe('countCodePoints', () => {
  it('counts an emoji as one character, and takes the ASCII shortcut only for ASCII', () => {
    for (const text of ['plain ascii', 'héllo', '👋🏽 wave', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '']) {
      expect(countCodePoints(text)).toBe([...text].length)
      if (/^[\x00-\x7f]*$/.test(text)) expect(countCodePoints(text, true)).toBe(text.length)
    }
  })
})

describe('countLines', () => {
  it('counts newlines, plus a last line without one', () => {
    expect(countLines('')).toBe(0)
    expect(countLines('one')).toBe(1)
    expect(countLines('one\n')).toBe(1)
    expect(countLines('one\ntwo')).toBe(2)
    expect(countLines('\n\n')).toBe(2)
    expect(countLines('a\r\nb\r\n')).toBe(2)
  })
})
