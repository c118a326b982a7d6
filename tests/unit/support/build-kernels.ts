/**
 * Vitest global setup: builds build/kernels/*.wasm once, before any test file runs, when they are
 * missing or older than their sources. Every test that trains loads them from there, so no file may
 * depend on another (the kernel tests) having built them first — a clean clone has none.
 */
import { execFileSync } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export default function buildKernels(): void {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
  execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--if-stale'], { cwd: repoRoot, stdio: 'inherit' })
}
