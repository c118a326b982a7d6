/**
 * Test helpers for the kernels: building the .wasm when missing, laying out memory, seeded random data,
 * tolerant comparisons, float64 forwards of every differentiable kernel and central finite differences.
 */
import { execFileSync } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import {
  KERNEL_MEMORY_BASE,
  loadKernels,
  type Kernels,
  type KernelVariant,
} from '../../../../../src/main/engine/kernels'
import { seededUniform } from '../../../support/random'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../..')
export const VARIANTS: readonly KernelVariant[] = ['relaxed', 'simd']

/** Builds build/kernels/*.wasm when missing or older than their sources (the real build script). */
export function ensureKernelsBuilt(): void {
  execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--if-stale'], {
    cwd: repoRoot,
    stdio: 'pipe',
  })
}

export function sharedMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.ceil(bytes / 65536)
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true })
}

export async function kernelsOf(
  memory: WebAssembly.Memory,
  variant: KernelVariant,
): Promise<Kernels> {
  return (await loadKernels(memory, { variant })).kernels
}

/** Seeded uniform numbers for test data, so failures reproduce. */
export const rng = seededUniform

export interface Region {
  name: string
  ptr: number
  n: number
}

/** Bump allocator over one memory, 16-byte aligned, from the lowest byte the TS side may use. */
export class Arena {
  readonly regions: Region[] = []
  private next = KERNEL_MEMORY_BASE

  constructor(readonly memory: WebAssembly.Memory) {}

  alloc(name: string, n: number): number {
    const ptr = this.next
    this.next = ptr + Math.ceil((n * 4) / 16) * 16 + 16
    if (this.next > this.memory.buffer.byteLength) throw new Error(`arena: ${name} does not fit`)
    this.regions.push({ name, ptr, n })
    return ptr
  }

  f32(ptr: number): Float32Array {
    const region = this.regions.find((r) => r.ptr === ptr)
    if (!region) throw new Error(`arena: no region at ${ptr}`)
    return new Float32Array(this.memory.buffer, ptr, region.n)
  }

  i32(ptr: number): Int32Array {
    const region = this.regions.find((r) => r.ptr === ptr)
    if (!region) throw new Error(`arena: no region at ${ptr}`)
    return new Int32Array(this.memory.buffer, ptr, region.n)
  }

  /** Allocates and fills with uniform values in [-scale, scale). */
  random(name: string, n: number, rand: () => number, scale = 1): number {
    const ptr = this.alloc(name, n)
    const view = this.f32(ptr)
    for (let i = 0; i < n; i++) view[i] = (rand() * 2 - 1) * scale
    return ptr
  }

  ints(name: string, values: ArrayLike<number>): number {
    const ptr = this.alloc(name, values.length)
    this.i32(ptr).set(Array.from(values))
    return ptr
  }

  regionAt(byteOffset: number): string {
    const r = this.regions.find((x) => byteOffset >= x.ptr && byteOffset < x.ptr + x.n * 4)
    return r
      ? `${r.name}[${(byteOffset - r.ptr) / 4}]`
      : `byte ${byteOffset} (outside every region)`
  }
}

/** |a − e| ≤ atol + rtol·|e| for every element; a readable message naming the first few misses. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { rtol: number; atol: number },
  label: string,
  where: (i: number) => string = (i) => `[${i}]`,
): void {
  expect(actual.length, `${label}: length`).toBe(expected.length)
  const misses: string[] = []
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i],
      e = expected[i]
    if (Object.is(a, e)) continue
    if (!(Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e))) {
      misses.push(`${where(i)}: got ${a}, expected ${e}`)
      if (misses.length >= 5) break
    }
  }
  expect(misses, `${label}: ${misses.join('; ')}`).toEqual([])
}

/**
 * Central differences of a float64 function f at x: ∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / 2h.
 * x is restored after each probe.
 */
export function finiteDifferences(f: () => number, x: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length)
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i]
    x[i] = x0 + h
    const up = f()
    x[i] = x0 - h
    const down = f()
    x[i] = x0
    g[i] = (up - down) / (2 * h)
  }
  return g
}

/** Gradient check: |g − fd| ≤ rtol·|fd| + atol·max|fd|. */
export function expectGradient(
  actual: ArrayLike<number>,
  fd: Float64Array,
  label: string,
  rtol = 2e-3,
  atol = 2e-4,
): void {
  let scale = 1e-6
  for (const v of fd) scale = Math.max(scale, Math.abs(v))
  expectClose(actual, fd, { rtol, atol: atol * scale }, label)
}

export function dot(w: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < y.length; i++) s += w[i] * y[i]
  return s
}

// ---- float64 forwards (the definitions the finite differences differentiate) ----

export const f64 = {
  /** out[M,N] = A·B (+ bias), with A(i,k), B(k,j) given as accessors into flat arrays. */
  matmul(
    a: Float64Array,
    b: Float64Array,
    bias: Float64Array | null,
    M: number,
    K: number,
    N: number,
    aT: boolean,
    bT: boolean,
  ): Float64Array {
    const out = new Float64Array(M * N)
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = bias ? bias[j] : 0
        for (let k = 0; k < K; k++)
          s += (aT ? a[k * M + i] : a[i * K + k]) * (bT ? b[j * K + k] : b[k * N + j])
        out[i * N + j] = s
      }
    }
    return out
  },

  encoder(
    tokens: ArrayLike<number>,
    wte: Float64Array,
    wpe: Float64Array,
    B: number,
    T: number,
    C: number,
  ): Float64Array {
    const out = new Float64Array(B * T * C)
    for (let bt = 0; bt < B * T; bt++) {
      for (let c = 0; c < C; c++) out[bt * C + c] = wte[tokens[bt] * C + c] + wpe[(bt % T) * C + c]
    }
    return out
  },

  layernorm(
    inp: Float64Array,
    weight: Float64Array,
    bias: Float64Array,
    N: number,
    C: number,
  ): Float64Array {
    const out = new Float64Array(N * C)
    for (let n = 0; n < N; n++) {
      let m = 0
      for (let c = 0; c < C; c++) m += inp[n * C + c]
      m /= C
      let v = 0
      for (let c = 0; c < C; c++) v += (inp[n * C + c] - m) ** 2
      const r = 1 / Math.sqrt(v / C + 1e-5)
      for (let c = 0; c < C; c++) out[n * C + c] = (inp[n * C + c] - m) * r * weight[c] + bias[c]
    }
    return out
  },

  gelu(inp: Float64Array): Float64Array {
    const s = Math.sqrt(2 / Math.PI)
    return inp.map((x) => 0.5 * x * (1 + Math.tanh(s * (x + 0.044715 * x ** 3))))
  },

  attention(qkv: Float64Array, B: number, T: number, C: number, NH: number): Float64Array {
    const hs = C / NH,
      scale = 1 / Math.sqrt(hs)
    const out = new Float64Array(B * T * C)
    const at = (b: number, t: number, part: number, h: number, i: number): number =>
      qkv[(b * T + t) * 3 * C + part * C + h * hs + i]
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < NH; h++) {
        for (let t = 0; t < T; t++) {
          const scores: number[] = []
          for (let t2 = 0; t2 <= t; t2++) {
            let s = 0
            for (let i = 0; i < hs; i++) s += at(b, t, 0, h, i) * at(b, t2, 1, h, i)
            scores.push(s * scale)
          }
          const mx = Math.max(...scores)
          const e = scores.map((s) => Math.exp(s - mx))
          const sum = e.reduce((x, y) => x + y, 0)
          for (let i = 0; i < hs; i++) {
            let s = 0
            for (let t2 = 0; t2 <= t; t2++) s += (e[t2] / sum) * at(b, t2, 2, h, i)
            out[(b * T + t) * C + h * hs + i] = s
          }
        }
      }
    }
    return out
  },

  /** Per-row −log softmax(logits)[target]; 0 for negative targets. */
  crossEntropy(
    logits: Float64Array,
    targets: ArrayLike<number>,
    N: number,
    V: number,
  ): Float64Array {
    const losses = new Float64Array(N)
    for (let n = 0; n < N; n++) {
      if (targets[n] < 0) continue
      const row = logits.subarray(n * V, n * V + V)
      const mx = Math.max(...row)
      let sum = 0
      for (const x of row) sum += Math.exp(x - mx)
      losses[n] = Math.log(sum) - (row[targets[n]] - mx)
    }
    return losses
  },
}
