import { resolve } from 'node:path'
import { readFileSync } from 'node:fs'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

const version = JSON.parse(readFileSync('package.json', 'utf8')).version as string
const define = { __APP_VERSION__: JSON.stringify(version) }
const shared = { '@shared': resolve('src/shared') }

/** The worker threads' entries: Node's own loader opens them, so they ship unpacked beside app.asar. */
const workerEntries = {
  // Each sphere's worker thread loads this bundle (src/main/engine/spheres/pool.ts finds it next to itself).
  'sphere-worker': resolve('src/main/engine/spheres/sphere-worker.ts'),
  // The tokenizer's worker threads (src/main/engine/tokenizer/pool.ts finds it next to itself).
  'tokenizer-worker': resolve('src/main/engine/tokenizer/worker.ts'),
}

/**
 * Every module a worker imports goes into one chunk, `chunks/worker-shared-*.js`, which
 * electron-builder unpacks with the workers; the rest of the engine stays inside app.asar, under
 * its integrity check. Rollup would otherwise name shared chunks after whichever module comes first.
 */
function workerSharedChunk(id: string, { getModuleInfo }: { getModuleInfo: (id: string) => { importers: readonly string[]; isEntry: boolean } | null }): string | undefined {
  const entries = new Set(Object.values(workerEntries))
  if (entries.has(id)) return undefined
  const seen = new Set<string>()
  const pending = [id]
  while (pending.length > 0) {
    const current = pending.pop()!
    if (seen.has(current)) continue
    seen.add(current)
    if (entries.has(current)) return 'worker-shared'
    pending.push(...(getModuleInfo(current)?.importers ?? []))
  }
  return undefined
}

export default defineConfig({
  main: {
    define,
    resolve: { alias: shared },
    build: {
      // Node builtins and npm dependencies stay external; the CLI and the sphere worker share this build.
      rollupOptions: {
        input: {
          index: resolve('src/main/index.ts'),
          cli: resolve('src/cli/index.ts'),
          ...workerEntries,
        },
        output: { manualChunks: workerSharedChunk },
      },
    },
  },
  preload: {
    resolve: { alias: shared },
    build: {
      // A sandboxed preload cannot require node_modules or be an ES module: bundle everything as CommonJS.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    define,
    root: resolve('src/renderer'),
    resolve: { alias: { ...shared, '@renderer': resolve('src/renderer/src') } },
    plugins: [vue()],
    build: {
      rollupOptions: { input: { index: resolve('src/renderer/index.html') } },
    },
  },
})
