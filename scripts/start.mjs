#!/usr/bin/env node
// `npm start`: builds, then opens the app in Electron. Without an Electron binary (skipped on a
// headless machine, its install script blocked, or Node older than Electron's tooling needs) it
// starts the same studio in a browser instead: `cllm serve --open` on this repository's build, with
// the bundled sample corpus, building first only when out/ is missing or older than the sources.
// So `npm install` then `npm start` always ends in a working studio.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The Electron executable the `electron` package points at, or undefined when it was never downloaded. */
export function electronBinary(require = createRequire(import.meta.url)) {
  let binary
  try {
    // The package exports the executable's path, and throws when its install script never ran.
    binary = require('electron')
  } catch {
    return undefined
  }
  return typeof binary === 'string' && existsSync(binary) ? binary : undefined
}

export const NO_ELECTRON_MESSAGE =
  'No Electron binary here (its download was skipped or blocked, see allowScripts in package.json; it needs ' +
  'Node.js 22.12 or newer): starting the same studio in your browser instead, with `cllm serve`.'

/** What the build writes and what it is built from: out/ is stale when any input is newer. */
const BUILD_OUTPUTS = ['out/main/cli.js', 'out/main/index.js', 'out/renderer/index.html']
const BUILD_INPUTS = [
  'src',
  'scripts/build-kernels.mjs',
  'electron.vite.config.ts',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.base.json',
  'tsconfig.node.json',
  'tsconfig.web.json',
]

function newestMtime(path) {
  let info
  try {
    info = statSync(path)
  } catch {
    return 0
  }
  if (!info.isDirectory()) return info.mtimeMs
  let newest = info.mtimeMs // a deleted file shows as the folder's own change
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)))
  return newest
}

/** True when the build is missing, or a source, config or the lock changed after it was made. */
export function buildIsStale(dir = projectDir) {
  const outputs = BUILD_OUTPUTS.map((file) => join(dir, file))
  if (!outputs.every((file) => existsSync(file))) return true
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs))
  return BUILD_INPUTS.some((input) => newestMtime(join(dir, input)) > built)
}

/**
 * The commands `npm start` runs, in order: with Electron, build then Electron; without it, build
 * when stale, then `cllm serve` on this build, opening the browser unless CLLM_NO_BROWSER is set.
 */
export function startPlan({ hasElectron, stale, openBrowser = true }) {
  if (hasElectron) {
    return [
      ['npm', ['run', 'build']],
      ['npx', ['electron-vite', 'preview', '--skipBuild']],
    ]
  }
  const serve = [process.execPath, ['bin/cllm.js', 'serve', ...(openBrowser ? ['--open'] : [])]]
  return stale ? [['npm', ['run', 'build']], serve] : [serve]
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: projectDir, stdio: 'inherit', shell: process.platform === 'win32' })
  // Ctrl+C ends `cllm serve` with a signal: that is how the studio is meant to stop.
  if (result.signal === 'SIGINT' || result.signal === 'SIGTERM') process.exit(0)
  if (result.status !== 0) process.exit(result.status ?? 1)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const hasElectron = Boolean(electronBinary())
  if (!hasElectron) console.log(NO_ELECTRON_MESSAGE)
  const plan = startPlan({
    hasElectron,
    stale: !hasElectron && buildIsStale(),
    openBrowser: !process.env.CLLM_NO_BROWSER,
  })
  // The parent ignores Ctrl+C while `cllm serve` runs: the server stops itself and says so.
  if (!hasElectron) process.on('SIGINT', () => undefined)
  for (const [command, args] of plan) run(command, args)
}
