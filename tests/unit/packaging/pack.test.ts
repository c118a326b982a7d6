/**
 * Packs the app for real (electron-builder, Linux `dir` target) with scripts/pack-smoke.mjs and a
 * stub Electron, then checks the package independently of the script: what app.asar holds, the
 * sample corpus beside it, and the fuse wire of the packed executable. Needs `npm run build` first
 * (the test script builds before Vitest); a missing out/ fails with that instruction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { listPackage } from '@electron/asar'
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
    const unwanted = entries.filter(
      (entry) => /^\/(src|tests|bench|scripts|resources)\//.test(entry) || entry.endsWith('.map') || /^\/node_modules\/(electron|vitest|vue|electron-builder)\//.test(entry),
    )
    expect(unwanted).toEqual([])
  })

  it('ships the sample corpus beside the asar when the repository has one', () => {
    const source = join(projectDir, 'resources', 'sample-corpus')
    expect(existsSync(join(out, 'linux-unpacked', 'resources', 'sample-corpus'))).toBe(existsSync(source))
  })

  it('flipped the fuses in the packed executable', async () => {
    const wire = await getCurrentFuseWire(join(out, 'linux-unpacked', 'cllm-studio'))
    expect(wire[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE)
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(FuseState.DISABLE)
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(FuseState.DISABLE)
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(FuseState.ENABLE)
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE)
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(FuseState.ENABLE)
    // Left as Electron ships it: file:// pages keep their privileges (the renderer loads from file://).
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(FuseState.ENABLE)
  })
})
