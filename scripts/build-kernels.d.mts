// Types of what build-kernels.mjs exports to TypeScript (the benchmarks).
export function compileWasm(entryFile: string, flags: string[]): Promise<Uint8Array>
