#!/usr/bin/env node
// Compiles the AssemblyScript kernels (src/main/engine/kernels/assembly/) into two WebAssembly builds:
//   kernels-relaxed.wasm  relaxed SIMD (f32x4.relaxed_madd) for runtimes that have it
//   kernels-simd.wasm     plain SIMD (mul + add) for the others
// One source: the kernels branch on the compile-time constant ASC_FEATURE_RELAXED_SIMD.
//
// Usage: node scripts/build-kernels.mjs [--out-dir <dir>] [--if-stale]
//   --out-dir   where the .wasm files go (default: build/kernels)
//   --if-stale  skip the build when both outputs are newer than every kernel source
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const sourceDir = join(root, 'src/main/engine/kernels/assembly')
const entry = join(sourceDir, 'index.ts')

/** The two variants and the features each enables on top of the common flags. */
export const VARIANTS = {
  relaxed: ['--enable', 'simd', '--enable', 'threads', '--enable', 'relaxed-simd'],
  simd: ['--enable', 'simd', '--enable', 'threads'],
}

const COMMON_FLAGS = [
  '-O3',
  '--noAssert',
  // No GC, no allocator: the kernels allocate nothing; with nothing reachable the stub vanishes entirely.
  '--runtime',
  'stub',
  // The run's one shared memory comes from the host. Minimum 1 page; maximum 65536 pages (4 GiB), so
  // any shared memory the host creates satisfies the import.
  '--importMemory',
  '--sharedMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  '65536',
  '--noExportMemory',
  // No abort import: with --noAssert nothing can call it.
  '--use',
  'abort=',
]

function parseArgs(argv) {
  const args = { outDir: join(root, 'build/kernels'), ifStale: false }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out-dir') args.outDir = resolve(argv[++i])
    else if (argv[i] === '--if-stale') args.ifStale = true
    else throw new Error(`build-kernels: unknown argument ${argv[i]}`)
  }
  return args
}

function newestSourceTime() {
  let newest = statSync(fileURLToPath(import.meta.url)).mtimeMs
  for (const name of readdirSync(sourceDir))
    newest = Math.max(newest, statSync(join(sourceDir, name)).mtimeMs)
  return newest
}

function isFresh(outDir) {
  const sources = newestSourceTime()
  return Object.keys(VARIANTS).every((variant) => {
    try {
      return statSync(join(outDir, `kernels-${variant}.wasm`)).mtimeMs >= sources
    } catch {
      return false
    }
  })
}

/** Compiles one AssemblyScript entry with these flags, in memory; returns the .wasm bytes. */
export async function compileWasm(entryFile, flags) {
  // Loaded here, not at the top, so an up-to-date check does not pay for loading the compiler.
  const { default: asc } = await import('assemblyscript/asc')
  let binary = null
  const stderr = []
  const { error } = await asc.main([entryFile, '--outFile', 'out.wasm', ...flags], {
    writeFile: (name, contents) => {
      if (name.endsWith('.wasm')) binary = contents
    },
    stdout: asc.createMemoryStream(),
    stderr: asc.createMemoryStream((chunk) => stderr.push(String(chunk))),
  })
  if (error || !binary) throw new Error(`${entryFile} did not compile\n${stderr.join('')}${error ?? ''}`)
  return binary
}

function compile(variant) {
  return compileWasm(entry, [...COMMON_FLAGS, ...VARIANTS[variant]])
}

/** Writes through a temporary file and a rename, so a concurrent reader never sees half a module. */
function writeAtomic(path, bytes) {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, bytes)
  renameSync(tmp, path)
}

export async function buildKernels({ outDir = join(root, 'build/kernels'), ifStale = false } = {}) {
  if (ifStale && isFresh(outDir)) return { built: false, outDir }
  mkdirSync(outDir, { recursive: true })
  for (const variant of Object.keys(VARIANTS)) {
    writeAtomic(join(outDir, `kernels-${variant}.wasm`), await compile(variant))
  }
  return { built: true, outDir }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2))
  const started = Date.now()
  const { built, outDir } = await buildKernels(args)
  console.log(
    built
      ? `kernels built in ${Date.now() - started} ms → ${outDir}`
      : `kernels up to date in ${outDir}`,
  )
}
