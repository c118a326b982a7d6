import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { HASH_SLICE_BYTES, sha256Yielding } from '../../../../../src/main/engine/checkpoints/hash'

const whole = (chunks: Uint8Array[]) => {
  const hash = createHash('sha256')
  for (const chunk of chunks) hash.update(chunk)
  return hash.digest('hex')
}

describe('sha256Yielding', () => {
  it('equals SHA-256 of the concatenation, for chunks smaller and larger than a slice and empty ones', async () => {
    const sizes = [0, 5, HASH_SLICE_BYTES - 3, 0, 2 * HASH_SLICE_BYTES + 7, 1]
    const chunks = sizes.map((n, i) => {
      const bytes = new Uint8Array(n)
      for (let j = 0; j < n; j++) bytes[j] = (j * 31 + i) & 255
      return bytes
    })
    expect(await sha256Yielding(chunks)).toBe(whole(chunks))
    expect(await sha256Yielding([])).toBe(whole([]))
  })

  it('lets timers run while it hashes 32 MB', async () => {
    const chunks = [new Uint8Array(20 << 20).fill(7), new Uint8Array(12 << 20).fill(9)]
    let ticks = 0
    const timer = setInterval(() => ticks++, 1)
    const digest = await sha256Yielding(chunks)
    clearInterval(timer)
    expect(digest).toBe(whole(chunks))
    // One turn per 4 MB slice at least: a single synchronous hash would give the timer no turn at all.
    expect(ticks).toBeGreaterThanOrEqual(4)
  })
})
