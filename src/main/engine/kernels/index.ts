/**
 * Loads the WebAssembly kernels (see abi.ts for what they compute) onto the run's shared memory.
 *
 * Memory rule: the module imports `env.memory` (shared, ≥ 1 page) and declares no data, globals or
 * stack of its own, so it writes only where its pointer arguments point. Byte offsets 0…15 are kept
 * free so that 0 can mean "none" (matmulNN's bias); everything from KERNEL_MEMORY_BASE (16) on belongs
 * to the TypeScript side.
 *
 * Threads: compile once (`loadKernels` or `compileKernels`), post the WebAssembly.Module and the
 * WebAssembly.Memory to each worker, and call `instantiateKernels(module, memory)` there; that is
 * synchronous and compiles nothing.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import type { KernelName, Kernels } from './abi'
import { unpackedPath } from '../unpacked-path'

export type { Kernels, KernelName } from './abi'
export type KernelVariant = 'relaxed' | 'simd'

/** The lowest byte offset the TypeScript side may lay data at; 0 is the null pointer. */
export const KERNEL_MEMORY_BASE = 16

/** Every function the module exports: exactly the Kernels interface. */
export const KERNEL_NAMES: readonly KernelName[] = [
  'matmulNN',
  'matmulNT',
  'matmulTN',
  'biasBackward',
  'biasForward',
  'encoderForward',
  'encoderBackward',
  'encoderForwardAt',
  'encoderBackwardAt',
  'embeddingForward',
  'embeddingBackward',
  'layernormForward',
  'layernormBackward',
  'rmsnormForward',
  'rmsnormBackward',
  'rope',
  'ropeAt',
  'swigluForward',
  'swigluBackward',
  'geluForward',
  'geluBackward',
  'attentionForward',
  'attentionStep',
  'attentionBackward',
  'groupedAttentionForward',
  'groupedAttentionStep',
  'groupedAttentionBackward',
  'segmentedAttentionForward',
  'segmentedAttentionBackward',
  'crossEntropyForward',
  'crossEntropyBackward',
  'add',
  'accumulate',
  'scale',
  'sumSquares',
  'zero',
  'adamw',
]

/**
 * The smallest module that uses relaxed SIMD: one function returning
 * f32x4.relaxed_madd(v128.const 0, v128.const 0, v128.const 0).
 */
const RELAXED_PROBE = (() => {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00] // magic, version 1
  const types = [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b] // one type: () → v128
  const functions = [0x03, 0x02, 0x01, 0x00] // one function of type 0
  const v128Zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)]
  const body = [0x00, ...v128Zero, ...v128Zero, ...v128Zero, 0xfd, 0x85, 0x02, 0x0b] // …, relaxed_madd, end
  const code = [0x0a, body.length + 2, 0x01, body.length, ...body]
  return new Uint8Array([...header, ...types, ...functions, ...code])
})()

let relaxedSupport: boolean | undefined

/**
 * Whether this runtime compiles relaxed SIMD. Node 20 has it behind a V8 flag, which this turns on
 * (flags are per process, so workers see it too); newer runtimes have it on already and are left alone.
 */
export function detectRelaxedSimd(): boolean {
  if (relaxedSupport !== undefined) return relaxedSupport
  relaxedSupport = WebAssembly.validate(RELAXED_PROBE)
  if (!relaxedSupport) {
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd')
    } catch {
      // A runtime without the flag simply stays on plain SIMD.
    }
    relaxedSupport = WebAssembly.validate(RELAXED_PROBE)
  }
  return relaxedSupport
}

export function kernelWasmFileName(variant: KernelVariant): string {
  return `kernels-${variant}.wasm`
}

/**
 * Path of a build of the kernels. From this module's folder upwards, each folder is tried for the file
 * itself (the bundles: `npm run build` copies the .wasm into out/main/, and this code may sit in
 * out/main/chunks/) and then for build/kernels/ in it (a checkout running from source, where
 * scripts/build-kernels.mjs writes them).
 */
export function locateKernelWasm(variant: KernelVariant, from: string = import.meta.url): string {
  const file = kernelWasmFileName(variant)
  const candidates: string[] = []
  for (
    let dir = dirname(from.startsWith('file:') ? fileURLToPath(from) : from);
    ;
    dir = dirname(dir)
  ) {
    // Packaged: the .wasm is unpacked beside app.asar (unpacked-path.ts).
    candidates.push(unpackedPath(join(dir, file)), join(dir, 'build', 'kernels', file))
    if (dirname(dir) === dir) break
  }
  const found = candidates.find((path) => existsSync(path))
  if (!found) {
    throw new Error(
      `${file} not found next to ${from} or in a build/kernels folder above it; run scripts/build-kernels.mjs`,
    )
  }
  return found
}

const compiled = new Map<KernelVariant, Promise<WebAssembly.Module>>()

/** Compiles (once per process and variant) the chosen build; relaxed when the runtime has it unless told. */
export async function compileKernels(
  options: { variant?: KernelVariant } = {},
): Promise<{ module: WebAssembly.Module; variant: KernelVariant }> {
  const relaxed = detectRelaxedSimd()
  const variant = options.variant ?? (relaxed ? 'relaxed' : 'simd')
  if (variant === 'relaxed' && !relaxed)
    throw new Error('this runtime does not support relaxed SIMD')
  let module = compiled.get(variant)
  if (!module) {
    module = WebAssembly.compile(readFileSync(locateKernelWasm(variant)))
    compiled.set(variant, module)
    module.catch(() => compiled.delete(variant))
  }
  return { module: await module, variant }
}

/** Compiles (cached) and instantiates the kernels on `memory`. The module is returned for workers. */
export async function loadKernels(
  memory: WebAssembly.Memory,
  options: { variant?: KernelVariant } = {},
): Promise<{ kernels: Kernels; variant: KernelVariant; module: WebAssembly.Module }> {
  const { module, variant } = await compileKernels(options)
  return { kernels: instantiateKernels(module, memory), variant, module }
}

/**
 * Instantiates an already compiled kernels module on `memory` (which must be shared, as the module
 * imports a shared memory). Synchronous: for workers, which receive the module by postMessage.
 */
export function instantiateKernels(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
): Kernels {
  const { exports } = new WebAssembly.Instance(module, { env: { memory } })
  const kernels: Partial<Record<KernelName, unknown>> = {}
  for (const name of KERNEL_NAMES) {
    if (typeof exports[name] !== 'function')
      throw new Error(`kernels module lacks ${name}; rebuild it`)
    kernels[name] = exports[name]
  }
  return kernels as Kernels
}
