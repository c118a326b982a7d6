/**
 * Plain-TypeScript reference of every kernel, over the same shared memory and the same byte offsets as
 * the WebAssembly kernels. For tests only: straightforward loops, sums in float64, results rounded to
 * float32 only when stored. It writes exactly what the WebAssembly kernels write (and nothing else).
 */
import type { Kernels } from './abi'

const EPS = 1e-5
const GELU_S = Math.sqrt(2 / Math.PI)
const GELU_A = 0.044715

export function createReferenceKernels(memory: WebAssembly.Memory): Kernels {
  // Views are rebuilt whenever the memory has grown (a grown memory hands out a new buffer object).
  let buffer: ArrayBufferLike | undefined
  let f32 = new Float32Array(0)
  let i32 = new Int32Array(0)
  const views = (): void => {
    if (buffer !== memory.buffer) {
      buffer = memory.buffer
      f32 = new Float32Array(buffer)
      i32 = new Int32Array(buffer)
    }
  }
  /** Byte offset → element index, checking the ABI's alignment. */
  const at = (ptr: number): number => {
    if (ptr % 4 !== 0) throw new Error(`pointer ${ptr} is not 4-byte aligned`)
    return ptr >>> 2
  }

  function gemm(
    out: number,
    M: number,
    N: number,
    K: number,
    accumulate: number,
    bias: number,
    aAt: (i: number, k: number) => number,
    bAt: (k: number, j: number) => number,
  ): void {
    views()
    const o = at(out)
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0
        for (let k = 0; k < K; k++) s += f32[aAt(i, k)] * f32[bAt(k, j)]
        if (bias) s += f32[at(bias) + j]
        if (accumulate) s += f32[o + i * N + j]
        f32[o + i * N + j] = s
      }
    }
  }

  return {
    matmulNN(out, a, b, bias, M, K, N, accumulate) {
      const A = at(a),
        Bm = at(b)
      gemm(
        out,
        M,
        N,
        K,
        accumulate,
        bias,
        (i, k) => A + i * K + k,
        (k, j) => Bm + k * N + j,
      )
    },
    matmulNT(out, a, b, M, K, N, accumulate) {
      const A = at(a),
        Bm = at(b)
      gemm(
        out,
        M,
        N,
        K,
        accumulate,
        0,
        (i, k) => A + i * K + k,
        (k, j) => Bm + j * K + k,
      )
    },
    matmulTN(out, a, b, M, K, N, accumulate) {
      const A = at(a),
        Bm = at(b)
      gemm(
        out,
        M,
        N,
        K,
        accumulate,
        0,
        (i, k) => A + k * M + i,
        (k, j) => Bm + k * N + j,
      )
    },
    biasBackward(dbias, dout, M, N) {
      views()
      const db = at(dbias),
        d = at(dout)
      for (let j = 0; j < N; j++) {
        let s = 0
        for (let m = 0; m < M; m++) s += f32[d + m * N + j]
        f32[db + j] += s
      }
    },

    encoderForward(out, tokens, wte, wpe, B, T, C) {
      this.encoderForwardAt(out, tokens, 0, wte, wpe, B, T, C)
    },
    encoderBackward(dwte, dwpe, dout, tokens, B, T, C) {
      this.encoderBackwardAt(dwte, dwpe, dout, tokens, 0, B, T, C)
    },
    encoderForwardAt(out, tokens, positions, wte, wpe, B, T, C) {
      views()
      for (let bt = 0; bt < B * T; bt++) {
        const token = i32[at(tokens) + bt],
          t = positions ? i32[at(positions) + bt] : bt % T
        for (let c = 0; c < C; c++)
          f32[at(out) + bt * C + c] = f32[at(wte) + token * C + c] + f32[at(wpe) + t * C + c]
      }
    },
    encoderBackwardAt(dwte, dwpe, dout, tokens, positions, B, T, C) {
      views()
      for (let bt = 0; bt < B * T; bt++) {
        const token = i32[at(tokens) + bt],
          t = positions ? i32[at(positions) + bt] : bt % T
        for (let c = 0; c < C; c++) {
          const g = f32[at(dout) + bt * C + c]
          f32[at(dwte) + token * C + c] += g
          f32[at(dwpe) + t * C + c] += g
        }
      }
    },

    embeddingForward(out, tokens, wte, N, C) {
      views()
      for (let n = 0; n < N; n++) {
        const token = i32[at(tokens) + n]
        for (let c = 0; c < C; c++) f32[at(out) + n * C + c] = f32[at(wte) + token * C + c]
      }
    },
    embeddingBackward(dwte, dout, tokens, N, C) {
      views()
      for (let n = 0; n < N; n++) {
        const token = i32[at(tokens) + n]
        for (let c = 0; c < C; c++) f32[at(dwte) + token * C + c] += f32[at(dout) + n * C + c]
      }
    },
    biasForward(out, bias, M, N) {
      views()
      for (let m = 0; m < M; m++) for (let j = 0; j < N; j++) f32[at(out) + m * N + j] += f32[at(bias) + j]
    },

    layernormForward(out, mean, rstd, inp, weight, bias, N, C) {
      views()
      for (let n = 0; n < N; n++) {
        const x = at(inp) + n * C
        let m = 0
        for (let c = 0; c < C; c++) m += f32[x + c]
        m /= C
        let v = 0
        for (let c = 0; c < C; c++) v += (f32[x + c] - m) ** 2
        const r = 1 / Math.sqrt(v / C + EPS)
        for (let c = 0; c < C; c++) {
          f32[at(out) + n * C + c] = (f32[x + c] - m) * r * f32[at(weight) + c] + f32[at(bias) + c]
        }
        f32[at(mean) + n] = m
        f32[at(rstd) + n] = r
      }
    },
    layernormBackward(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C) {
      views()
      for (let n = 0; n < N; n++) {
        const x = at(inp) + n * C,
          dy = at(dout) + n * C
        const m = f32[at(mean) + n],
          r = f32[at(rstd) + n]
        let gMean = 0,
          gxMean = 0
        for (let c = 0; c < C; c++) {
          const g = f32[at(weight) + c] * f32[dy + c]
          gMean += g
          gxMean += g * (f32[x + c] - m) * r
        }
        gMean /= C
        gxMean /= C
        for (let c = 0; c < C; c++) {
          const norm = (f32[x + c] - m) * r,
            d = f32[dy + c]
          f32[at(dbias) + c] += d
          f32[at(dweight) + c] += norm * d
          f32[at(dinp) + n * C + c] += (f32[at(weight) + c] * d - gMean - norm * gxMean) * r
        }
      }
    },

    geluForward(out, inp, n) {
      views()
      for (let i = 0; i < n; i++) {
        const x = f32[at(inp) + i]
        f32[at(out) + i] = 0.5 * x * (1 + Math.tanh(GELU_S * (x + GELU_A * x ** 3)))
      }
    },
    geluBackward(dinp, inp, dout, n) {
      views()
      for (let i = 0; i < n; i++) {
        const x = f32[at(inp) + i]
        const th = Math.tanh(GELU_S * (x + GELU_A * x ** 3))
        const grad = 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * GELU_S * (1 + 3 * GELU_A * x * x)
        f32[at(dinp) + i] += grad * f32[at(dout) + i]
      }
    },

    attentionForward(out, att, qkv, B, T, C, NH) {
      this.groupedAttentionForward(out, att, qkv, B, T, NH, NH, C / NH, 0)
    },
    attentionStep(out, att, qkv, t, C, NH) {
      this.groupedAttentionStep(out, att, qkv, t, NH, NH, C / NH, 0)
    },
    attentionBackward(dqkv, datt, dout, qkv, att, B, T, C, NH) {
      this.groupedAttentionBackward(dqkv, datt, dout, qkv, att, B, T, NH, NH, C / NH, 0)
    },

    groupedAttentionForward(out, att, qkv, B, T, NH, NKV, hs) {
      this.segmentedAttentionForward(out, att, qkv, 0, B, T, NH, NKV, hs, 0)
    },
    segmentedAttentionForward(out, att, qkv, positions, B, T, NH, NKV, hs) {
      views()
      // Row t attends to keys first(b, t) … t: its own segment.
      const first = (b: number, t: number): number => (positions ? t - i32[at(positions) + b * T + t] : 0)
      const C = NH * hs,
        ld = C + 2 * NKV * hs,
        group = NH / NKV,
        scale = 1 / Math.sqrt(hs)
      const kAt = (h: number): number => C + Math.floor(h / group) * hs
      const vAt = (h: number): number => C + NKV * hs + Math.floor(h / group) * hs
      const row = new Float64Array(T)
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < NH; h++) {
          for (let t = 0; t < T; t++) {
            const q = at(qkv) + (b * T + t) * ld + h * hs,
              s0 = first(b, t)
            let mx = -Infinity
            for (let t2 = s0; t2 <= t; t2++) {
              const k = at(qkv) + (b * T + t2) * ld + kAt(h)
              let s = 0
              for (let i = 0; i < hs; i++) s += f32[q + i] * f32[k + i]
              row[t2] = s * scale
              mx = Math.max(mx, row[t2])
            }
            let sum = 0
            for (let t2 = s0; t2 <= t; t2++) sum += row[t2] = Math.exp(row[t2] - mx)
            const a = at(att) + ((b * NH + h) * T + t) * T
            for (let t2 = 0; t2 < T; t2++) f32[a + t2] = t2 >= s0 && t2 <= t ? row[t2] / sum : 0
            for (let i = 0; i < hs; i++) {
              let s = 0
              for (let t2 = s0; t2 <= t; t2++) s += f32[a + t2] * f32[at(qkv) + (b * T + t2) * ld + vAt(h) + i]
              f32[at(out) + (b * T + t) * C + h * hs + i] = s
            }
          }
        }
      }
    },
    groupedAttentionStep(out, att, qkv, t, NH, NKV, hs) {
      views()
      const C = NH * hs,
        ld = C + 2 * NKV * hs,
        group = NH / NKV,
        scale = 1 / Math.sqrt(hs),
        n = t + 1
      const kAt = (h: number): number => C + Math.floor(h / group) * hs
      const vAt = (h: number): number => C + NKV * hs + Math.floor(h / group) * hs
      const row = new Float64Array(n)
      for (let h = 0; h < NH; h++) {
        const q = at(qkv) + t * ld + h * hs
        let mx = -Infinity
        for (let t2 = 0; t2 < n; t2++) {
          const k = at(qkv) + t2 * ld + kAt(h)
          let s = 0
          for (let i = 0; i < hs; i++) s += f32[q + i] * f32[k + i]
          row[t2] = s * scale
          mx = Math.max(mx, row[t2])
        }
        let sum = 0
        for (let t2 = 0; t2 < n; t2++) sum += row[t2] = Math.exp(row[t2] - mx)
        const a = at(att) + h * n
        for (let t2 = 0; t2 < n; t2++) f32[a + t2] = row[t2] / sum
        for (let i = 0; i < hs; i++) {
          let s = 0
          for (let t2 = 0; t2 < n; t2++) s += f32[a + t2] * f32[at(qkv) + t2 * ld + vAt(h) + i]
          f32[at(out) + h * hs + i] = s
        }
      }
    },
    groupedAttentionBackward(dqkv, datt, dout, qkv, att, B, T, NH, NKV, hs) {
      this.segmentedAttentionBackward(dqkv, datt, dout, qkv, att, 0, B, T, NH, NKV, hs, 0)
    },
    segmentedAttentionBackward(dqkv, datt, dout, qkv, att, positions, B, T, NH, NKV, hs) {
      views()
      const first = (b: number, t: number): number => (positions ? t - i32[at(positions) + b * T + t] : 0)
      const C = NH * hs,
        ld = C + 2 * NKV * hs,
        group = NH / NKV,
        scale = 1 / Math.sqrt(hs)
      // part 0: query head h; 1: its key head; 2: its value head.
      const pos = (b: number, t: number, part: number, h: number): number =>
        (b * T + t) * ld + (part === 0 ? h * hs : C + (part - 1) * NKV * hs + Math.floor(h / group) * hs)
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < NH; h++) {
          for (let t = 0; t < T; t++) {
            const p = at(att) + ((b * NH + h) * T + t) * T,
              dp = at(datt) + ((b * NH + h) * T + t) * T
            const g = at(dout) + (b * T + t) * C + h * hs,
              s0 = first(b, t)
            for (let t2 = s0; t2 <= t; t2++) {
              let s = 0
              for (let i = 0; i < hs; i++) {
                s += f32[at(qkv) + pos(b, t2, 2, h) + i] * f32[g + i]
                f32[at(dqkv) + pos(b, t2, 2, h) + i] += f32[p + t2] * f32[g + i]
              }
              f32[dp + t2] = s
            }
            let pdp = 0
            for (let t2 = s0; t2 <= t; t2++) pdp += f32[p + t2] * f32[dp + t2]
            for (let t2 = 0; t2 < T; t2++)
              f32[dp + t2] = t2 >= s0 && t2 <= t ? f32[p + t2] * (f32[dp + t2] - pdp) * scale : 0
            for (let i = 0; i < hs; i++) {
              let s = 0
              for (let t2 = s0; t2 <= t; t2++)
                s += f32[dp + t2] * f32[at(qkv) + pos(b, t2, 1, h) + i]
              f32[at(dqkv) + pos(b, t, 0, h) + i] += s
            }
            for (let t2 = s0; t2 <= t; t2++) {
              for (let i = 0; i < hs; i++)
                f32[at(dqkv) + pos(b, t2, 1, h) + i] +=
                  f32[dp + t2] * f32[at(qkv) + pos(b, t, 0, h) + i]
            }
          }
        }
      }
    },

    rmsnormForward(out, rstd, inp, weight, N, C, eps) {
      views()
      for (let n = 0; n < N; n++) {
        const x = at(inp) + n * C
        let ss = 0
        for (let c = 0; c < C; c++) ss += f32[x + c] * f32[x + c]
        const r = 1 / Math.sqrt(ss / C + eps)
        for (let c = 0; c < C; c++) f32[at(out) + n * C + c] = f32[at(weight) + c] * Math.fround(f32[x + c] * r)
        f32[at(rstd) + n] = r
      }
    },
    rmsnormBackward(dinp, dweight, dout, inp, weight, rstd, N, C) {
      views()
      for (let n = 0; n < N; n++) {
        const x = at(inp) + n * C,
          dy = at(dout) + n * C
        const r = f32[at(rstd) + n]
        let gx = 0
        for (let c = 0; c < C; c++) gx += f32[at(weight) + c] * f32[dy + c] * f32[x + c] * r
        gx /= C
        for (let c = 0; c < C; c++) {
          const norm = f32[x + c] * r
          f32[at(dweight) + c] += norm * f32[dy + c]
          f32[at(dinp) + n * C + c] += (f32[at(weight) + c] * f32[dy + c] - norm * gx) * r
        }
      }
    },

    rope(x, table, B, T, ld, heads, hs, inverse) {
      this.ropeAt(x, table, 0, B, T, ld, heads, hs, inverse)
    },
    ropeAt(x, table, positions, B, T, ld, heads, hs, inverse) {
      views()
      const half = hs / 2,
        sign = inverse ? -1 : 1
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const row = at(x) + (b * T + t) * ld,
            cos = at(table) + (positions ? i32[at(positions) + b * T + t] : t) * hs
          for (let h = 0; h < heads; h++) {
            for (let i = 0; i < half; i++) {
              const p1 = row + h * hs + i,
                p2 = p1 + half
              const c = f32[cos + i],
                s = sign * f32[cos + half + i]
              const x1 = f32[p1],
                x2 = f32[p2]
              f32[p1] = x1 * c - x2 * s
              f32[p2] = x2 * c + x1 * s
            }
          }
        }
      }
    },

    swigluForward(out, gu, N, I) {
      views()
      for (let n = 0; n < N; n++) {
        for (let i = 0; i < I; i++) {
          const g = f32[at(gu) + n * 2 * I + i],
            u = f32[at(gu) + n * 2 * I + I + i]
          f32[at(out) + n * I + i] = (g / (1 + Math.exp(-g))) * u
        }
      }
    },
    swigluBackward(dgu, gu, dout, N, I) {
      views()
      for (let n = 0; n < N; n++) {
        for (let i = 0; i < I; i++) {
          const g = f32[at(gu) + n * 2 * I + i],
            u = f32[at(gu) + n * 2 * I + I + i],
            d = f32[at(dout) + n * I + i]
          const sig = 1 / (1 + Math.exp(-g))
          f32[at(dgu) + n * 2 * I + i] += d * u * sig * (1 + g * (1 - sig))
          f32[at(dgu) + n * 2 * I + I + i] += d * g * sig
        }
      }
    },

    crossEntropyForward(losses, probs, logits, targets, N, V) {
      views()
      let total = 0
      for (let n = 0; n < N; n++) {
        const x = at(logits) + n * V,
          p = at(probs) + n * V,
          target = i32[at(targets) + n]
        let mx = -Infinity
        for (let i = 0; i < V; i++) mx = Math.max(mx, f32[x + i])
        const targetLogit = target >= 0 ? f32[x + target] : 0
        let sum = 0
        const e = new Float64Array(V)
        for (let i = 0; i < V; i++) sum += e[i] = Math.exp(f32[x + i] - mx)
        for (let i = 0; i < V; i++) f32[p + i] = e[i] / sum
        const loss = target >= 0 ? Math.log(sum) - (targetLogit - mx) : 0
        f32[at(losses) + n] = loss
        total += loss
      }
      return total
    },
    crossEntropyBackward(dlogits, probs, targets, N, V, scale) {
      views()
      for (let n = 0; n < N; n++) {
        const p = at(probs) + n * V,
          d = at(dlogits) + n * V,
          target = i32[at(targets) + n]
        for (let i = 0; i < V; i++)
          f32[d + i] = target < 0 ? 0 : (f32[p + i] - (i === target ? 1 : 0)) * scale
      }
    },

    add(out, a, b, n) {
      views()
      for (let i = 0; i < n; i++) f32[at(out) + i] = f32[at(a) + i] + f32[at(b) + i]
    },
    accumulate(out, a, n) {
      views()
      for (let i = 0; i < n; i++) f32[at(out) + i] += f32[at(a) + i]
    },
    scale(x, n, s) {
      views()
      for (let i = 0; i < n; i++) f32[at(x) + i] *= s
    },
    sumSquares(x, n) {
      views()
      let s = 0
      for (let i = 0; i < n; i++) s += f32[at(x) + i] ** 2
      return s
    },
    zero(x, n) {
      views()
      f32.fill(0, at(x), at(x) + n)
    },

    adamw(
      params,
      grads,
      m,
      v,
      n,
      beta1,
      oneMinusBeta1,
      beta2,
      oneMinusBeta2,
      eps,
      decayFactor,
      stepSize,
      sqrtBiasCorrection2,
      gradScale,
    ) {
      views()
      for (let i = 0; i < n; i++) {
        const g = f32[at(grads) + i] * gradScale
        const mi = beta1 * f32[at(m) + i] + oneMinusBeta1 * g
        const vi = beta2 * f32[at(v) + i] + oneMinusBeta2 * g * g
        f32[at(m) + i] = mi
        f32[at(v) + i] = vi
        const p = f32[at(params) + i] * decayFactor
        f32[at(params) + i] = p - (stepSize * mi) / (Math.sqrt(vi) / sqrtBiasCorrection2 + eps)
      }
    },
  }
}
