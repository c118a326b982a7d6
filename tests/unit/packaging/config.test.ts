/**
 * The electron-builder configuration, loaded and validated by electron-builder itself (so an option
 * name its schema does not know fails here), and the promises docs/architecture.md makes about the package.
 */
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config'
import { DebugLogger } from 'builder-util'
import type { Configuration, TargetConfiguration } from 'app-builder-lib'

const projectDir = resolve(import.meta.dirname, '../../..')
const load = () => getConfig(projectDir, resolve(projectDir, 'electron-builder.yml'), null)

function targetNames(target: unknown): string[] {
  const list = Array.isArray(target) ? target : [target]
  return list.map((entry: string | TargetConfiguration) => (typeof entry === 'string' ? entry : entry.target))
}

describe('electron-builder.yml', () => {
  it('is valid against electron-builder’s own schema', async () => {
    const config = await load()
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined()
  })

  it('(the validator does refuse an option it does not know)', async () => {
    const config = await getConfig(projectDir, resolve(projectDir, 'electron-builder.yml'), {
      electronFuses: { runAsNod: false } as never,
    })
    await expect(validateConfiguration(config, new DebugLogger(false))).rejects.toThrow(/configuration.electronFuses/)
  })

  it('sets the fuses: no RunAsNode, no NODE_OPTIONS, no --inspect, asar only and checked, cookies encrypted', async () => {
    const config: Configuration = await load()
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    })
  })

  it('packs the built bundles into an asar, ships the sample corpus beside it, rebuilds nothing', async () => {
    const config: Configuration = await load()
    expect(config.productName).toBe('CLLM Studio')
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z]+)+$/)
    expect(config.asar).toBe(true)
    expect(config.npmRebuild).toBe(false)
    expect(config.files).toEqual([{ filter: ['out/**/*', 'package.json', '!**/*.map'] }])
    expect(config.extraResources).toEqual([
      { from: 'resources/sample-corpus', to: 'sample-corpus' },
      { from: 'resources/job', to: 'job', filter: ['*.py', 'README.md', 'requirements.txt'] },
    ])
  })

  it('targets deb first (then AppImage), NSIS, and DMG', async () => {
    const config: Configuration = await load()
    expect(targetNames(config.linux?.target)).toEqual(['deb', 'AppImage'])
    expect(targetNames(config.win?.target)).toEqual(['nsis'])
    expect(targetNames(config.mac?.target)).toEqual(['dmg'])
    // deb refuses to build without a maintainer.
    expect(config.linux?.maintainer).toMatch(/<.+@.+>/)
  })

  it('has a 512×512 PNG icon', async () => {
    const config: Configuration = await load()
    const png = readFileSync(resolve(projectDir, String(config.icon)))
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG')
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR')
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512])
  })
})
