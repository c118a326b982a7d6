import { describe, expect, it } from 'vitest'
import {
  BYTE_TO_CHAR,
  byteLevelToBytes,
  bytesToByteLevel,
} from '../../../../../src/main/engine/tokenizer/byte-level'

describe('GPT-2 byte-level alphabet', () => {
  it('gives each byte its own printable character, as GPT-2 does', () => {
    expect(new Set(BYTE_TO_CHAR).size).toBe(256)
    expect(BYTE_TO_CHAR[0x20]).toBe('Ġ') // space
    expect(BYTE_TO_CHAR[0x0a]).toBe('Ċ') // newline
    expect(BYTE_TO_CHAR[0x09]).toBe('ĉ') // tab
    expect(BYTE_TO_CHAR[0x41]).toBe('A')
    expect(BYTE_TO_CHAR[0xad]).toBe('Ń') // soft hyphen is not printable: shifted
    for (const char of BYTE_TO_CHAR) expect(char).toMatch(/^[^\s]$/u)
  })

  it('round-trips every byte', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
    expect(byteLevelToBytes(bytesToByteLevel(bytes))).toEqual(bytes)
  })

  it('refuses characters outside the alphabet', () => {
    expect(byteLevelToBytes('a b')).toBeUndefined() // a real space is not in the alphabet
    expect(byteLevelToBytes('日')).toBeUndefined()
  })
})
