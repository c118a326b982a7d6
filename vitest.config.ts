import { resolve } from 'node:path'
import { readFileSync } from 'node:fs'
import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

const version = JSON.parse(readFileSync('package.json', 'utf8')).version as string
const define = { __APP_VERSION__: JSON.stringify(version) }

export default defineConfig({
  plugins: [vue()],
  define,
  resolve: {
    alias: { '@shared': resolve('src/shared'), '@renderer': resolve('src/renderer/src') },
  },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    // Kernels built once before any file runs (a clean clone has none; see the file).
    globalSetup: ['tests/unit/support/build-kernels.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
