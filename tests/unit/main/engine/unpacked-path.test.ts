import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { builtFileNear, unpackedPath } from '../../../../src/main/engine/unpacked-path'

describe('unpackedPath', () => {
  it('maps a path inside app.asar to app.asar.unpacked, POSIX and Windows', () => {
    expect(unpackedPath('/opt/CLLM Studio/resources/app.asar/out/main/sphere-worker.js')).toBe(
      '/opt/CLLM Studio/resources/app.asar.unpacked/out/main/sphere-worker.js',
    )
    expect(unpackedPath('C:\\Program Files\\CLLM Studio\\resources\\app.asar\\out\\main\\kernels-simd.wasm')).toBe(
      'C:\\Program Files\\CLLM Studio\\resources\\app.asar.unpacked\\out\\main\\kernels-simd.wasm',
    )
  })

  it('leaves other paths alone (development, the CLI, an already unpacked path, a lookalike name)', () => {
    for (const path of [
      '/work/repo/out/main/sphere-worker.js',
      '/x/resources/app.asar.unpacked/out/main/a.js',
      '/x/my-app.asar/out/a.js',
      '/x/app.asarx/a.js',
      '/x/resources/app.asar',
    ]) {
      expect(unpackedPath(path)).toBe(path)
    }
  })
})

describe('builtFileNear', () => {
  let root: string
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'cllm-unpacked-'))
    // A packed layout: the code in app.asar (only listed there), the worker as a real unpacked file.
    mkdirSync(join(root, 'resources', 'app.asar.unpacked', 'out', 'main', 'chunks'), { recursive: true })
    writeFileSync(join(root, 'resources', 'app.asar.unpacked', 'out', 'main', 'sphere-worker.js'), '')
    mkdirSync(join(root, 'dev', 'out', 'main'), { recursive: true })
    writeFileSync(join(root, 'dev', 'out', 'main', 'sphere-worker.js'), '')
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('finds the unpacked entry from a chunk inside app.asar (one folder up)', () => {
    const chunk = pathToFileURL(join(root, 'resources', 'app.asar', 'out', 'main', 'chunks', 'engine-api-x.js')).href
    expect(builtFileNear('sphere-worker.js', chunk)).toBe(join(root, 'resources', 'app.asar.unpacked', 'out', 'main', 'sphere-worker.js'))
  })

  it('finds the entry next to the bundle outside a package, and nothing when the build lacks it', () => {
    const bundle = join(root, 'dev', 'out', 'main', 'index.js')
    expect(builtFileNear('sphere-worker.js', bundle)).toBe(join(root, 'dev', 'out', 'main', 'sphere-worker.js'))
    expect(builtFileNear('tokenizer-worker.js', bundle)).toBeUndefined()
  })
})
