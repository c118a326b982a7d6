import { describe, expect, it } from 'vitest'
import {
  giveBack,
  spareBytes,
  takeBuffer,
} from '../../../../../src/main/engine/tokenizer/shared-buffers'

describe('shared buffers kept for reuse', () => {
  it('hands back the smallest spare buffer that fits, else a new one', () => {
    while (spareBytes() > 0) takeBuffer(1) // empty the pool left by other tests
    const small = takeBuffer(100_000)
    const large = takeBuffer(1_000_000)
    expect(small.byteLength).toBeGreaterThanOrEqual(100_000)
    giveBack(small, large)
    expect(spareBytes()).toBe(small.byteLength + large.byteLength)
    expect(takeBuffer(50_000)).toBe(small)
    expect(takeBuffer(200_000)).toBe(large)
    const fresh = takeBuffer(10)
    expect(fresh).not.toBe(small)
    expect(fresh).toBeInstanceOf(SharedArrayBuffer)
  })

  it('keeps a bounded amount spare, the largest buffers first', () => {
    while (spareBytes() > 0) takeBuffer(1)
    const buffers = Array.from({ length: 6 }, () => new SharedArrayBuffer(40 << 20))
    giveBack(...buffers)
    expect(spareBytes()).toBeLessThanOrEqual(128 << 20)
    expect(spareBytes()).toBeGreaterThan(0)
    while (spareBytes() > 0) takeBuffer(1)
  })
})
