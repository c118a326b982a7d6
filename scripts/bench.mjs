#!/usr/bin/env node
// `npm run bench -- <name> [args]`: runs bench/<name>.ts (all of them when no name is given).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'

const [name, ...args] = process.argv.slice(2)
const names = name ? [name] : readdirSync('bench').filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3))
let failed = false
for (const bench of names) {
  const file = `bench/${bench}.ts`
  if (!existsSync(file)) {
    console.error(`No benchmark named "${bench}". Available: ${readdirSync('bench').map((f) => f.replace(/\.ts$/, '')).join(', ')}`)
    process.exit(2)
  }
  console.log(`\n=== bench: ${bench}`)
  const result = spawnSync('npx', ['--no-install', 'tsx', '--experimental-wasm-relaxed-simd', file, ...args], { stdio: 'inherit' })
  failed ||= result.status !== 0
}
process.exitCode = failed ? 1 : 0
