// Token + position embedding (GPT-2), and the token embedding alone (Llama: positions are rotary).
import { add, accumulate } from './elementwise'

export function encoderForward(out: usize, tokens: usize, wte: usize, wpe: usize, B: i32, T: i32, C: i32): void {
  encoderForwardAt(out, tokens, 0, wte, wpe, B, T, C)
}

export function encoderBackward(dwte: usize, dwpe: usize, dout: usize, tokens: usize, B: i32, T: i32, C: i32): void {
  encoderBackwardAt(dwte, dwpe, dout, tokens, 0, B, T, C)
}

/** Row b·T + t's position: positions[b·T + t] (packed windows), or t when positions = 0. */
// @ts-ignore: decorator
@inline function positionOf(positions: usize, bt: usize, t: i32): usize {
  return positions ? <usize>load<i32>(positions + (bt << 2)) : <usize>t
}

/** encoderForward with each row's position read from positions[B·T] (i32), or t when positions = 0. */
export function encoderForwardAt(
  out: usize, tokens: usize, positions: usize, wte: usize, wpe: usize, B: i32, T: i32, C: i32,
): void {
  const row = <usize>C << 2
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const bt = <usize>(b * T + t)
      const token = <usize>load<i32>(tokens + (bt << 2))
      add(out + bt * row, wte + token * row, wpe + positionOf(positions, bt, t) * row, C)
    }
  }
}

/** encoderBackward of encoderForwardAt. */
export function encoderBackwardAt(
  dwte: usize, dwpe: usize, dout: usize, tokens: usize, positions: usize, B: i32, T: i32, C: i32,
): void {
  const row = <usize>C << 2
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const bt = <usize>(b * T + t)
      const token = <usize>load<i32>(tokens + (bt << 2))
      const g = dout + bt * row
      accumulate(dwte + token * row, g, C)
      accumulate(dwpe + positionOf(positions, bt, t) * row, g, C)
    }
  }
}

/** Token embedding alone (no learned positions): out[n,:] = wte[tokens[n],:]. */
export function embeddingForward(out: usize, tokens: usize, wte: usize, N: i32, C: i32): void {
  const row = <usize>C << 2
  for (let n = 0; n < N; n++) {
    const token = <usize>load<i32>(tokens + (<usize>n << 2))
    memory.copy(out + <usize>n * row, wte + token * row, row)
  }
}

/** dwte[tokens[n],:] += dout[n,:]. */
export function embeddingBackward(dwte: usize, dout: usize, tokens: usize, N: i32, C: i32): void {
  const row = <usize>C << 2
  for (let n = 0; n < N; n++) {
    const token = <usize>load<i32>(tokens + (<usize>n << 2))
    accumulate(dwte + token * row, dout + <usize>n * row, C)
  }
}
