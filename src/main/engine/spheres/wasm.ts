/**
 * The slice of the WebAssembly JS API the pool uses, typed here because the Node typings of this
 * project (lib ES2023, no DOM) do not declare it. Same objects as the global `WebAssembly`.
 */
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer
}

/** A compiled module; opaque, posted to workers as is. */
export type WasmModule = object

interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory
  Module: new (bytes: Uint8Array) => WasmModule
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> }
  validate(bytes: Uint8Array): boolean
}

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> }

/** Atomics.waitAsync (Node ≥ 16), absent from the ES2023 typings. */
export const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeout?: number): WaitAsyncResult
}).waitAsync.bind(Atomics)
