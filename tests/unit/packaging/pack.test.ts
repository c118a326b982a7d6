/**
 * Packs the app for real (electron-builder, Linux `dir` target) with scripts/pack-smoke.mjs and a
 * stub Electron, then checks the package independently of the script: what app.asar holds, the
 * sample corpus beside it, and the fuse wire of the packed executable. Needs `npm run build` first
 * (the test script builds before Vitest); a missing out/ fails with that instruction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { extractFile, listPackage } from '@electron/asar'
import { builtFileNear } from '../../../src/main/engine/unpacked-path'
import { kernelWasmFileName, locateKernelWasm } from '../../../src/main/engine/kernels/index'
import { findJobTemplates } from '../../../src/main/engine/interchange/job'
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses'

const projectDir = resolve(import.meta.dirname, '../../..')
/** The fuse wire stores each fuse as an ASCII '0' or '1' (@electron/fuses' FuseState, not exported). */
const FuseState = { DISABLE: '0'.charCodeAt(0), ENABLE: '1'.charCodeAt(0) }
let out: string
let run: ReturnType<typeof spawnSync>
let entries: string[]

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'cllm-pack-test-'))
  run = spawnSync(process.execPath, ['scripts/pack-smoke.mjs', '--out', out], { cwd: projectDir, encoding: 'utf8' })
  const asar = join(out, 'linux-unpacked', 'resources', 'app.asar')
  entries = existsSync(asar) ? listPackage(asar, { isPack: false }).map((entry) => entry.replaceAll('\\', '/')) : []
}, 240_000)
afterAll(() => rmSync(out, { recursive: true, force: true }))

/** The asar's entries, after checking there is one: a check of what is absent means nothing when packing failed. */
function packedEntries(): string[] {
  expect(entries, `no app.asar was packed:\n${String(run.stdout)}${String(run.stderr)}`).toContain('/out/main/index.js')
  return entries
}

describe('packaging smoke test', () => {
  it('packs the dir target and reports success', () => {
    expect(run.stderr, String(run.stdout)).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(new RegExp(`pack-smoke: ok \\(${entries.length} files in app\\.asar\\)`))
  })

  it('puts main, CLI, preload and renderer in app.asar, with the runtime dependencies', () => {
    for (const file of ['/package.json', '/out/main/index.js', '/out/main/cli.js', '/out/preload/index.cjs', '/out/renderer/index.html']) {
      expect(entries).toContain(file)
    }
    expect(entries.some((entry) => /^\/out\/renderer\/assets\/.+\.js$/.test(entry))).toBe(true)
    expect(entries).toContain('/node_modules/zod/package.json')
    expect(entries).toContain('/node_modules/ws/package.json')
  })

  it('leaves sources, tests, source maps and dev dependencies out', () => {
    const unwanted = packedEntries().filter(
      (entry) => /^\/(src|tests|bench|scripts|resources)\//.test(entry) || entry.endsWith('.map') || /^\/node_modules\/(electron|vitest|vue|electron-builder)\//.test(entry),
    )
    expect(unwanted).toEqual([])
  })

  it('ships the sample corpus beside the asar when the repository has one', () => {
    const source = join(projectDir, 'resources', 'sample-corpus')
    expect(existsSync(join(out, 'linux-unpacked', 'resources', 'sample-corpus'))).toBe(existsSync(source))
  })

  it('ships the job templates beside the asar, where a packaged app finds them', () => {
    const job = join(out, 'linux-unpacked', 'resources', 'job')
    expect(readdirSync(job).sort()).toEqual(['README.md', 'requirements.txt', 'safetensors_io.py', 'train.py'])
    expect(findJobTemplates(undefined, join(out, 'nowhere'), join(out, 'linux-unpacked', 'resources'))).toBe(job)
  })

  it('flipped the fuses in the packed executable', async () => {
    const wire = await getCurrentFuseWire(join(out, 'linux-unpacked', 'cllm-studio'))
    expect(wire[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE)
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(FuseState.DISABLE)
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(FuseState.DISABLE)
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(FuseState.ENABLE)
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE)
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(FuseState.ENABLE)
    // The renderer is served on app://, so file:// pages get no privileges beyond a browser's.
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(FuseState.DISABLE)
  })

  it('every worker and kernel path the packaged code computes exists, unpacked, with what each worker imports', () => {
    const resources = join(out, 'linux-unpacked', 'resources')
    const asar = join(resources, 'app.asar')
    const code = (entry: string) => extractFile(asar, entry.slice(1)).toString('utf8')
    const mainJs = entries.filter((entry) => /^\/out\/main\/.+\.js$/.test(entry))
    // Where the packaged app asks: each built file that resolves a worker or the kernels, at its place in app.asar.
    const askers = (needle: string) => mainJs.filter((entry) => code(entry).includes(needle))
    const computed: string[] = []
    for (const worker of ['sphere-worker.js', 'tokenizer-worker.js']) {
      const from = askers(`builtFileNear("${worker}"`)
      expect(from, worker).not.toEqual([])
      for (const entry of from) {
        const path = builtFileNear(worker, join(asar, entry))
        expect(path, `${worker} from ${entry}`).toBe(join(resources, 'app.asar.unpacked', 'out', 'main', worker))
        computed.push(path!)
      }
    }
    const kernelCode = askers('function locateKernelWasm(')
    expect(kernelCode).not.toEqual([])
    for (const entry of kernelCode) {
      for (const variant of ['simd', 'relaxed'] as const) {
        const path = locateKernelWasm(variant, join(asar, entry))
        expect(path).toBe(join(resources, 'app.asar.unpacked', 'out', 'main', kernelWasmFileName(variant)))
        computed.push(path)
      }
    }
    // Each worker's static imports, followed through the chunks, are real files beside it.
    const pending = computed.filter((path) => path.endsWith('.js'))
    const seen = new Set<string>()
    while (pending.length > 0) {
      const file = pending.pop()!
      if (seen.has(file)) continue
      seen.add(file)
      expect(existsSync(file), file).toBe(true)
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)) {
        if (specifier.startsWith('.')) pending.push(join(dirname(file), specifier))
        else expect(specifier, `${file} imports a package a worker cannot resolve outside the asar`).toMatch(/^node:/)
      }
    }
    expect(seen.size).toBeGreaterThan(2)
    // Nothing else is unpacked: the rest of the engine stays inside app.asar, under its integrity check.
    const unpackedMain = join(resources, 'app.asar.unpacked', 'out', 'main')
    const unpacked = readdirSync(unpackedMain, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
    expect(unpacked.filter((file) => !file.endsWith('.wasm')).sort()).toEqual([...seen].sort())
    expect(entries.some((entry) => /^\/out\/main\/chunks\/engine-api-.+\.js$/.test(entry))).toBe(true)
  })

  it('ships no build tool: esbuild is not bundled into the main process code', () => {
    const bundled = packedEntries().filter((entry) => /^\/out\/main\//.test(entry) && entry.endsWith('.js'))
    const asar = join(out, 'linux-unpacked', 'resources', 'app.asar')
    const withEsbuild = bundled.filter((entry) => extractFile(asar, entry.slice(1)).toString('utf8').includes('ESBUILD_BINARY_PATH'))
    expect(withEsbuild).toEqual([])
    expect(entries.filter((entry) => entry.startsWith('/node_modules/esbuild/'))).toEqual([])
  })
})
