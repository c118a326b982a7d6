#!/usr/bin/env node
// `npm start`: builds, then opens the app in Electron. Without an Electron binary (skipped on a
// headless machine, or its install script was blocked) it says so in one sentence before building,
// instead of a 40 s build ending in Electron's stack trace.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
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
  'The Electron binary is not installed (its install script was skipped or blocked, see allowScripts in package.json): ' +
  'run `npm install` with network access and Node.js 22.12 or newer, or run the same studio in a browser with ' +
  '`npm run build && npx cllm serve`.'

function run(command, args) {
  const result = spawnSync(command, args, { cwd: projectDir, stdio: 'inherit', shell: process.platform === 'win32' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!electronBinary()) {
    console.error(NO_ELECTRON_MESSAGE)
    process.exit(1)
  }
  run('npm', ['run', 'build'])
  run('npx', ['electron-vite', 'preview', '--skipBuild'])
}
