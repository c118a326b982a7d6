/**
 * The loader: feature detection, finding the .wasm, what the module imports and exports (a shared
 * memory and functions, nothing else: no data, globals or start), and instantiation in a real worker.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  KERNEL_MEMORY_BASE,
  KERNEL_NAMES,
  compileKernels,
  detectRelaxedSimd,
  instantiateKernels,
  loadKernels,
  locateKernelWasm,
} from '../../../../../src/main/engine/kernels'
import { createReferenceKernels } from '../../../../../src/main/engine/kernels/reference'
import {
  Arena,
  VARIANTS,
  ensureKernelsBuilt,
  expectClose,
  repoRoot,
  rng,
  sharedMemory,
} from './helpers'

/** The ids of a module's sections (1 type, 2 import, 3 function, 6 global, 7 export, 8 start, 10 code, 11 data, …). */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = []
  let p = 8
  while (p < bytes.length) {
    const id = bytes[p++]
    let size = 0
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[p++]
      size |= (byte & 0x7f) << shift
      if (!(byte & 0x80)) break
    }
    ids.push(id)
    p += size
  }
  return ids
}

/** A worker running a TypeScript entry from source (tsx's loader registered inside the worker first). */
function startTsWorker(entry: URL): Worker {
  const code = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}) })`
  return new Worker(code, { eval: true })
}

const tempDirs: string[] = []
beforeAll(() => ensureKernelsBuilt())
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

describe('detectRelaxedSimd', () => {
  it('reports the runtime truthfully: the relaxed build compiles exactly when it says yes', async () => {
    const supported = detectRelaxedSimd()
    expect(WebAssembly.validate(readFileSync(locateKernelWasm('relaxed')))).toBe(supported)
    expect((await compileKernels()).variant).toBe(supported ? 'relaxed' : 'simd')
  })
})

describe('locateKernelWasm', () => {
  it('finds the build in <repo>/build/kernels from the sources', () => {
    for (const variant of VARIANTS)
      expect(locateKernelWasm(variant)).toBe(
        join(repoRoot, 'build', 'kernels', `kernels-${variant}.wasm`),
      )
  })

  it('prefers a .wasm beside the bundle, also from a chunk one folder down (out/main/chunks/)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cllm-kernels-'))
    tempDirs.push(dir)
    copyFileSync(locateKernelWasm('simd'), join(dir, 'kernels-simd.wasm'))
    expect(locateKernelWasm('simd', pathToFileURL(join(dir, 'index.js')).href)).toBe(
      join(dir, 'kernels-simd.wasm'),
    )
    mkdirSync(join(dir, 'chunks'))
    expect(locateKernelWasm('simd', pathToFileURL(join(dir, 'chunks', 'sync.js')).href)).toBe(
      join(dir, 'kernels-simd.wasm'),
    )
  })

  it('names the build script when no build exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cllm-kernels-'))
    tempDirs.push(dir)
    expect(() => locateKernelWasm('relaxed', pathToFileURL(join(dir, 'index.js')).href)).toThrow(
      /build-kernels/,
    )
  })
})

describe.each(VARIANTS)('the %s module', (variant) => {
  it('imports only a shared env.memory and exports exactly the kernel functions', async () => {
    const { module } = await compileKernels({ variant })
    expect(WebAssembly.Module.imports(module)).toEqual([
      { module: 'env', name: 'memory', kind: 'memory' },
    ])
    const exports = WebAssembly.Module.exports(module)
    expect(exports.map((e) => e.name).sort()).toEqual([...KERNEL_NAMES].sort())
    expect(exports.every((e) => e.kind === 'function')).toBe(true)
  })

  it('declares no globals, start function or data, so it owns no byte of the memory', () => {
    const ids = sectionIds(new Uint8Array(readFileSync(locateKernelWasm(variant))))
    expect(ids).not.toContain(6)
    expect(ids).not.toContain(8)
    expect(ids).not.toContain(11)
    expect(ids).not.toContain(12)
    expect(KERNEL_MEMORY_BASE).toBe(16)
  })

  it('refuses a memory that is not shared', async () => {
    const { module } = await compileKernels({ variant })
    expect(() => instantiateKernels(module, new WebAssembly.Memory({ initial: 1 }))).toThrow(
      WebAssembly.LinkError,
    )
  })
})

describe('instantiateKernels in a worker', () => {
  it('runs each build in a worker that receives the module and the shared memory by postMessage', async () => {
    const worker = startTsWorker(new URL('./fixtures/kernel-worker.ts', import.meta.url))
    try {
      for (const variant of VARIANTS) {
        const memory = sharedMemory(1 << 20)
        const { module } = await loadKernels(memory, { variant })
        const arena = new Arena(memory)
        const rand = rng(5)
        const [M, K, N] = [9, 21, 13]
        const out = arena.alloc('out', M * N),
          a = arena.random('a', M * K, rand),
          b = arena.random('b', K * N, rand)
        const bias = arena.random('bias', N, rand)
        const done = new Promise((resolve, reject) => {
          worker.once('message', resolve)
          worker.once('error', reject)
        })
        worker.postMessage({ module, memory, args: [out, a, b, bias, M, K, N, 0, 0] })
        expect(await done).toBe('done')

        // The worker wrote into the memory this thread sees; check it against the reference on a copy.
        const expected = sharedMemory(1 << 20)
        new Uint8Array(expected.buffer).set(new Uint8Array(memory.buffer))
        new Float32Array(expected.buffer, out, M * N).fill(0)
        createReferenceKernels(expected).matmulNN(out, a, b, bias, M, K, N, 0, 0)
        expectClose(
          arena.f32(out),
          new Float32Array(expected.buffer, out, M * N),
          { rtol: 1e-4, atol: 1e-5 },
          variant,
        )
      }
    } finally {
      await worker.terminate()
    }
  })
})
