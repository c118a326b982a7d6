#!/usr/bin/env node
// The `cllm` command: runs the CLI bundle that `npm run build` writes to out/main/cli.js.
import { existsSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'

// Relaxed SIMD is behind a flag on Node 20; the kernels fall back to plain SIMD where it is missing.
setFlagsFromString('--experimental-wasm-relaxed-simd')

const entry = new URL('../out/main/cli.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('cllm is not built yet: run `npm run build` in the repository first.\n')
  process.exit(1)
}
await import(entry.href)
