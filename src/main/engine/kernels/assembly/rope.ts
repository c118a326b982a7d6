// Rotary position embeddings in Hugging Face's rotate_half layout: inside each head of hs values,
// dimension i is paired with i + hs/2 and the pair turns by position · frequency_i. The caller gives
// the table of cos | sin per position (hs values a row: hs/2 cosines, then hs/2 sines).

/**
 * In place on `heads` consecutive heads of hs values in each of B·T rows (ld floats apart; row b·T + t
 * is at position t, read from table row t):
 *   y_i = x_i·cos − x_{i+hs/2}·sin,  y_{i+hs/2} = x_{i+hs/2}·cos + x_i·sin.
 * inverse ≠ 0 turns the other way (sin → −sin): the transpose, which is the backward of the rotation.
 */
export function rope(x: usize, table: usize, B: i32, T: i32, ld: i32, heads: i32, hs: i32, inverse: i32): void {
  ropeAt(x, table, 0, B, T, ld, heads, hs, inverse)
}

/**
 * rope with each row's position read from positions[B·T] (i32: packed windows, where positions restart
 * at each segment); positions = 0: row b·T + t is at position t, rope exactly.
 */
export function ropeAt(
  x: usize, table: usize, positions: usize, B: i32, T: i32, ld: i32, heads: i32, hs: i32, inverse: i32,
): void {
  const half = hs >> 1
  const halfBytes = <usize>half << 2
  const sign = f32x4.splat(inverse ? -1 : 1)
  const signS: f32 = inverse ? -1 : 1
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const row = x + (<usize>(b * T + t) * <usize>ld << 2)
      const position = positions ? load<i32>(positions + (<usize>(b * T + t) << 2)) : t
      const cos = table + (<usize>(position * hs) << 2), sin = cos + halfBytes
      for (let h = 0; h < heads; h++) {
        const p1 = row + (<usize>(h * hs) << 2), p2 = p1 + halfBytes
        let i = 0
        for (; i + 4 <= half; i += 4) {
          const o = <usize>i << 2
          const c = v128.load(cos + o), s = f32x4.mul(v128.load(sin + o), sign)
          const x1 = v128.load(p1 + o), x2 = v128.load(p2 + o)
          v128.store(p1 + o, f32x4.sub(f32x4.mul(x1, c), f32x4.mul(x2, s)))
          v128.store(p2 + o, f32x4.add(f32x4.mul(x2, c), f32x4.mul(x1, s)))
        }
        for (; i < half; i++) {
          const o = <usize>i << 2
          const c = load<f32>(cos + o), s = load<f32>(sin + o) * signS
          const x1 = load<f32>(p1 + o), x2 = load<f32>(p2 + o)
          store<f32>(p1 + o, x1 * c - x2 * s)
          store<f32>(p2 + o, x2 * c + x1 * s)
        }
      }
    }
  }
}
