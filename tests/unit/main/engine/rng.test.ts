import { describe, expect, it } from 'vitest'
import { Rng } from '../../../../src/main/engine/rng'

describe('Rng (xoshiro128**)', () => {
  it('follows the reference algorithm from a known state', () => {
    // Worked by hand from the reference C code for state {1, 2, 3, 4}.
    const rng = Rng.restore([1, 2, 3, 4])
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([11520, 0, 5927040])
  })

  it('matches the reference algorithm in 64-bit arithmetic over words with every high bit set', () => {
    // xoshiro128** computed in BigInt, masked to 32 bits: no JavaScript int32/uint32 subtleties.
    const M = 0xffffffffn
    const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M
    let [s0, s1, s2, s3] = [0xdeadbeefn, 0x80000001n, 0xfffffffen, 0x7fffffffn]
    const rng = Rng.restore([Number(s0), Number(s1), Number(s2), Number(s3)])
    for (let i = 0; i < 10_000; i++) {
      const expected = Number(rotl((s1 * 5n) & M, 7n) * 9n & M)
      const t = (s1 << 9n) & M
      s2 ^= s0
      s3 ^= s1
      s1 ^= s2
      s0 ^= s3
      s2 ^= t
      s3 = rotl(s3, 11n)
      expect(rng.nextUint32()).toBe(expected)
    }
    expect(rng.state()).toEqual([Number(s0), Number(s1), Number(s2), Number(s3)])
  })

  it('gives the same sequence for the same seed and different ones for different seeds or streams', () => {
    const draw = (rng: Rng) => Array.from({ length: 8 }, () => rng.nextUint32())
    expect(draw(Rng.seeded(42))).toEqual(draw(Rng.seeded(42)))
    expect(draw(Rng.seeded(42))).not.toEqual(draw(Rng.seeded(43)))
    expect(draw(Rng.seeded(42, 1))).not.toEqual(draw(Rng.seeded(42, 2)))
    expect(draw(Rng.seeded(2 ** 40))).not.toEqual(draw(Rng.seeded(0)))
  })

  it('continues exactly from a saved state (plain JSON)', () => {
    const rng = Rng.seeded(7)
    for (let i = 0; i < 100; i++) rng.nextUint32()
    const saved = JSON.parse(JSON.stringify(rng.state()))
    const expected = Array.from({ length: 50 }, () => rng.nextFloat())
    const restored = Rng.restore(saved)
    expect(Array.from({ length: 50 }, () => restored.nextFloat())).toEqual(expected)
  })

  it('draws integers in range, roughly uniformly', () => {
    const rng = Rng.seeded(1)
    const counts = new Array(10).fill(0)
    for (let i = 0; i < 100_000; i++) counts[rng.nextInt(10)]++
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500)
    for (let i = 0; i < 1000; i++) expect(rng.nextFloat()).toBeLessThan(1)
  })

  it('shuffles into a permutation', () => {
    const items = Array.from({ length: 100 }, (_, i) => i)
    const shuffled = Rng.seeded(3).shuffle([...items])
    expect(shuffled).not.toEqual(items)
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items)
  })

  it('refuses a malformed state', () => {
    expect(() => Rng.restore([1, 2, 3] as never)).toThrow(/four unsigned 32-bit integers/)
    expect(() => Rng.restore([1, 2, 3, -1])).toThrow()
  })
})
