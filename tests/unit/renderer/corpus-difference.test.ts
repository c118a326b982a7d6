import { describe, expect, it } from 'vitest'
import { corpusDifference } from '../../../src/renderer/src/corpus-difference'

describe('corpusDifference', () => {
  const trained = { folder: '/texts/notes', files: 257, bytes: 356_000 }

  it('is null when the folder and its size are the same', () => {
    expect(corpusDifference(trained, { ...trained })).toBeNull()
  })

  it('names another folder, the files and the size that differ', () => {
    expect(corpusDifference(trained, { folder: '/texts/sample', files: 300, bytes: 400 * 1024 })).toBe(
      'Another folder, 300 files instead of 257 (+43), 400 KiB instead of 348 KiB',
    )
    expect(corpusDifference(trained, { folder: '/texts/notes', files: 256, bytes: 356_000 })).toBe('256 files instead of 257 (−1)')
    expect(corpusDifference(trained, { folder: '/texts/notes', files: 257, bytes: 356_100 })).toBe('356,100 bytes instead of 356,000')
  })

  it('says when the run did not record its corpus size', () => {
    expect(corpusDifference({ folder: '/texts/notes' }, { folder: '/texts/sample', files: 1, bytes: 10 })).toBe(
      "Another folder, 1 file, 10 B; the run's size was not recorded",
    )
    expect(corpusDifference({ folder: '/texts/notes' }, { folder: '/texts/notes', files: 1, bytes: 10 })).toBeNull()
  })
})
