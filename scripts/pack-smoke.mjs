#!/usr/bin/env node
// Packaging smoke test for CI: packs the `dir` target for Linux with electron-builder against a stub
// Electron (no binary is downloaded on headless machines), then checks the result:
//   - app.asar holds the built main, CLI, preload and renderer, package.json and the runtime
//     dependencies, and no sources, tests or dev dependencies;
//   - the sample corpus sits beside it (extraResources);
//   - the fuses were really flipped: the stub carries Electron's fuse sentinel and wire, so
//     electron-builder's @electron/fuses rewrites it exactly as it would the real binary.
// Needs `npm run build` first (out/). Usage: node scripts/pack-smoke.mjs [--out <dir>] (keeps the packed app there)
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Electron's fuse sentinel (@electron/fuses), then wire version 1 and its length. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'
/** Electron's shipped defaults, in FuseV1Options order: RunAsNode on, cookie encryption off, NODE_OPTIONS on, inspect on, asar integrity off, only-asar off, browser V8 snapshot off, file:// privileges on. */
const DEFAULT_FUSES = '10110001'
/** What electron-builder.yml asks for: same order, cookies encrypted, no file:// privileges; the V8 snapshot fuse left as Electron ships it. */
export const EXPECTED_FUSES = '01001100'

export const REQUIRED_IN_ASAR = [
  '/package.json',
  '/out/main/index.js',
  '/out/main/cli.js',
  '/out/preload/index.cjs',
  '/out/renderer/index.html',
]
/** Imported by the main bundle at run time (electron-vite keeps dependencies external). */
const RUNTIME_DEPENDENCIES = ['zod', 'ws', 'commander', 'ignore']
const FORBIDDEN_PREFIXES = ['/src/', '/tests/', '/bench/', '/node_modules/electron/', '/node_modules/vitest/', '/node_modules/vue/']

class SmokeError extends Error {}

/** A folder that looks like an unpacked Linux Electron to electron-builder. */
export function createStubElectron(dir, version) {
  mkdirSync(join(dir, 'resources'), { recursive: true })
  mkdirSync(join(dir, 'locales'), { recursive: true })
  const wire = Buffer.concat([
    Buffer.from('#!/bin/sh\necho "stub Electron: not runnable" >&2\nexit 1\n'),
    Buffer.from(FUSE_SENTINEL, 'ascii'),
    Buffer.from([1, DEFAULT_FUSES.length]),
    Buffer.from(DEFAULT_FUSES, 'ascii'),
    Buffer.from('\n'),
  ])
  writeFileSync(join(dir, 'electron'), wire)
  chmodSync(join(dir, 'electron'), 0o755)
  writeFileSync(join(dir, 'version'), version)
  writeFileSync(join(dir, 'LICENSE'), 'Stub for the packaging smoke test; the real Electron is MIT licensed.\n')
  return dir
}

/** The fuse wire after the sentinel, as '0'/'1' characters. */
export function readFuseWire(binary) {
  const bytes = readFileSync(binary)
  const at = bytes.indexOf(FUSE_SENTINEL)
  if (at < 0) throw new SmokeError(`${binary} has no fuse sentinel`)
  const length = bytes[at + FUSE_SENTINEL.length + 1]
  const start = at + FUSE_SENTINEL.length + 2
  return bytes.subarray(start, start + length).toString('ascii')
}

export function packSmoke({ outDir, log = () => {} } = {}) {
  for (const file of REQUIRED_IN_ASAR.slice(1)) {
    if (!existsSync(join(projectDir, file))) {
      throw new SmokeError(`${file.slice(1)} is missing: run \`npm run build\` (electron-vite build) before the packaging smoke test.`)
    }
  }
  const version = require('electron/package.json').version
  const work = mkdtempSync(join(tmpdir(), 'cllm-pack-'))
  const output = outDir ? resolve(outDir) : join(work, 'dist')
  const stub = createStubElectron(join(work, 'electron-stub'), version)
  const cli = require.resolve('electron-builder/cli.js')
  const args = [
    cli,
    '--dir',
    '--linux',
    '--x64',
    '--publish',
    'never',
    `-c.electronDist=${stub}`,
    `-c.electronVersion=${version}`,
    `-c.directories.output=${output}`,
  ]
  log(`electron-builder ${args.slice(1).join(' ')}`)
  const started = Date.now()
  const run = spawnSync(process.execPath, args, {
    cwd: projectDir,
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', CSC_IDENTITY_AUTO_DISCOVERY: 'false' },
  })
  if (run.status !== 0) {
    throw new SmokeError(`electron-builder failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`)
  }
  log(`packed in ${((Date.now() - started) / 1000).toFixed(1)} s`)

  const appDir = join(output, 'linux-unpacked')
  const asarPath = join(appDir, 'resources', 'app.asar')
  if (!existsSync(asarPath)) throw new SmokeError(`${asarPath} was not produced`)
  const asar = require('@electron/asar')
  const entries = asar.listPackage(asarPath, { isPack: false }).map((entry) => entry.replaceAll('\\', '/'))
  const listed = new Set(entries)
  const problems = []
  for (const file of REQUIRED_IN_ASAR) if (!listed.has(file)) problems.push(`app.asar lacks ${file}`)
  for (const name of RUNTIME_DEPENDENCIES) {
    if (!listed.has(`/node_modules/${name}/package.json`)) problems.push(`app.asar lacks the runtime dependency ${name}`)
  }
  for (const prefix of FORBIDDEN_PREFIXES) {
    const found = entries.find((entry) => entry.startsWith(prefix))
    if (found) problems.push(`app.asar should not hold ${found}`)
  }
  const sample = join(projectDir, 'resources', 'sample-corpus')
  if (existsSync(sample) && !existsSync(join(appDir, 'resources', 'sample-corpus'))) {
    problems.push('the sample corpus was not copied to resources/sample-corpus')
  }
  const fuses = readFuseWire(join(appDir, 'cllm-studio'))
  if (fuses !== EXPECTED_FUSES) problems.push(`fuse wire is ${fuses}, expected ${EXPECTED_FUSES}`)
  if (problems.length) throw new SmokeError(`pack-smoke: ${problems.join('; ')}`)

  if (!outDir) rmSync(work, { recursive: true, force: true })
  else rmSync(stub, { recursive: true, force: true })
  return { files: entries.length, fuses, appDir }
}

function main(argv) {
  const outIndex = argv.indexOf('--out')
  const outDir = outIndex >= 0 ? argv[outIndex + 1] : undefined
  try {
    const result = packSmoke({ outDir, log: (line) => console.log(`pack-smoke: ${line}`) })
    console.log(`pack-smoke: ok (${result.files} files in app.asar)`)
  } catch (error) {
    console.error(error instanceof SmokeError ? error.message : error)
    process.exit(1)
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2))
