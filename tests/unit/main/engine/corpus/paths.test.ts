import { describe, expect, it } from 'vitest'
import {
  compareCodePoints,
  isSameOrInside,
  joinRelative,
} from '../../../../../src/main/engine/corpus/paths'

describe('compareCodePoints', () => {
  it('orders strings like their UTF-8 bytes (code point order), unlike the default sort', () => {
    const names = [
      'b',
      'B',
      'a.txt',
      'a/b',
      'a',
      '\uE000',
      '\u{1F600}',
      'é',
      'z',
      '\uFFFD',
      '\u{10000}',
      '',
    ]
    const expected = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    expect([...names].sort(compareCodePoints)).toEqual(expected)
    // The default (UTF-16) order puts astral characters before U+E000; code point order does not.
    expect([...names].sort()).not.toEqual(expected)
  })

  it('agrees with the byte order on random strings', () => {
    let seed = 12345
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const pool = ['a', 'Z', '/', '.', 'é', '\uE000', '\uFFEE', '\u{1F600}', '\u{10FFFF}', '中']
    const strings = Array.from({ length: 300 }, () =>
      Array.from(
        { length: 1 + Math.floor(random() * 4) },
        () => pool[Math.floor(random() * pool.length)],
      ).join(''),
    )
    const expected = [...strings].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    expect([...strings].sort(compareCodePoints)).toEqual(expected)
  })
})

describe('path helpers', () => {
  it('joins relative paths with forward slashes', () => {
    expect(joinRelative('', 'a')).toBe('a')
    expect(joinRelative('a/b', 'c')).toBe('a/b/c')
  })

  it('tells whether a path is a folder or lies inside it, not merely shares a prefix', () => {
    expect(isSameOrInside('/x/y', '/x/y', '/')).toBe(true)
    expect(isSameOrInside('/x/y/z', '/x/y', '/')).toBe(true)
    expect(isSameOrInside('/x/yz', '/x/y', '/')).toBe(false)
    expect(isSameOrInside('/x/y', '/', '/')).toBe(true)
  })
})
