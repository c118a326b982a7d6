import type { Kernels } from '../kernels/abi'
import { compileKernels, instantiateKernels } from '../kernels/index'
import { createReferenceKernels } from '../kernels/reference'
import type { WasmMemory, WasmModule } from './wasm'

/**
 * How spheres get their kernels: the compiled WebAssembly module (compiled once on the coordinator,
 * posted once to every sphere), or the plain-TS reference (tests).
 */
export type KernelSource = { kind: 'wasm'; module: WasmModule; variant: string } | { kind: 'reference' }

type KernelModule = Parameters<typeof instantiateKernels>[0]
type KernelMemory = Parameters<typeof instantiateKernels>[1]

export async function loadKernelSource(kind: 'wasm' | 'reference'): Promise<KernelSource> {
  if (kind === 'reference') return { kind }
  const { module, variant } = await compileKernels()
  return { kind, module, variant }
}

/** Synchronous: what a sphere calls on the memory it was given. */
export function openKernels(source: KernelSource, memory: WasmMemory): Kernels {
  const shared = memory as unknown as KernelMemory
  if (source.kind === 'wasm') return instantiateKernels(source.module as KernelModule, shared)
  return createReferenceKernels(shared)
}
