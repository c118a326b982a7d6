import { describe, expect, it } from 'vitest'
import { SliceTable, hashSlice } from '../../../../../src/main/engine/tokenizer/slice-table'

describe('SliceTable', () => {
  const find = (table: SliceTable, text: string, start: number, end: number): number =>
    table.find(text, start, end, hashSlice(text, start, end))
  const add = (table: SliceTable, text: string, start: number, end: number): number =>
    table.add(text, start, end, hashSlice(text, start, end))

  it('finds a word by any slice that spells it, numbering words in the order added', () => {
    const table = new SliceTable(4)
    expect(add(table, 'say hello', 3, 9)).toBe(0) // " hello"
    expect(add(table, 'x = 1', 0, 1)).toBe(1)
    expect(find(table, 'well hello there', 4, 10)).toBe(0)
    expect(find(table, 'well hello', 5, 10)).toBe(-1) // "hello" without its space
    expect(find(table, 'x', 0, 1)).toBe(1)
    expect(table.key(0)).toBe(' hello')
  })

  it('keeps every word as it grows past its first capacity, surrogates and long words included', () => {
    const table = new SliceTable(4)
    const words = Array.from({ length: 5_000 }, (_, i) => `w${i}\ud83d${i % 2 ? '\ude00' : ''}`)
    words.push('y'.repeat(20_000))
    words.forEach((word, i) => expect(add(table, word, 0, word.length)).toBe(i))
    expect(table.size).toBe(words.length)
    words.forEach((word, i) => {
      const text = `<${word}>`
      expect(find(table, text, 1, text.length - 1)).toBe(i)
      expect(table.key(i)).toBe(word)
    })
    expect(table.keys()).toEqual(words)
    const latin1 = new SliceTable()
    for (const word of ['plain', ' café', 'ÿ']) add(latin1, word, 0, word.length)
    expect(latin1.keys()).toEqual(['plain', ' café', 'ÿ'])
  })

  it('forgets everything when cleared', () => {
    const table = new SliceTable()
    add(table, 'abc', 0, 3)
    table.clear()
    expect(table.size).toBe(0)
    expect(find(table, 'abc', 0, 3)).toBe(-1)
    expect(add(table, 'def', 0, 3)).toBe(0)
  })
})
