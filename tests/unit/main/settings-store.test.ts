import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MAX_RECENT_FOLDERS, SettingsStore } from '../../../src/main/settings-store'

let dir: string
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'cllm-settings-'))))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('SettingsStore', () => {
  it('starts empty, remembers folders newest first without duplicates, and reads them back next launch', () => {
    const file = join(dir, 'a', 'settings.json')
    const store = new SettingsStore(file)
    expect(store.get()).toEqual({ recentFolders: [] })
    store.rememberFolder('/data/one')
    store.rememberFolder('/data/two')
    store.rememberFolder('/data/one')
    expect(new SettingsStore(file).get()).toEqual({ lastFolder: '/data/one', recentFolders: ['/data/one', '/data/two'] })
    for (let i = 0; i < 20; i++) store.rememberFolder(`/data/f${i}`)
    expect(new SettingsStore(file).get().recentFolders).toHaveLength(MAX_RECENT_FOLDERS)
    store.clearRecentFolders()
    expect(new SettingsStore(file).get()).toEqual({ lastFolder: '/data/f19', recentFolders: [] })
    // Written atomically: no temporary file left beside it.
    expect(readdirSync(join(dir, 'a'))).toEqual(['settings.json'])
  })

  it('remembers the window, and ignores bounds that make no sense', () => {
    const file = join(dir, 'b', 'settings.json')
    const store = new SettingsStore(file)
    store.rememberWindow({ x: -1200, y: 40, width: 1400, height: 900, maximized: true })
    store.rememberWindow({ x: 0, y: 0, width: Number.NaN, height: 10 })
    expect(new SettingsStore(file).get().window).toEqual({ x: -1200, y: 40, width: 1400, height: 900, maximized: true })
  })

  it('a damaged or foreign file gives the defaults, and the next change replaces it', () => {
    const file = join(dir, 'c.json')
    for (const content of ['{"recentFolders": [', '[]', '{"recentFolders": [42]}', '\u0000\u0001']) {
      writeFileSync(file, content)
      expect(new SettingsStore(file).get()).toEqual({ recentFolders: [] })
    }
    new SettingsStore(file).rememberFolder('/x')
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ lastFolder: '/x', recentFolders: ['/x'] })
  })

  it('a profile it cannot write is reported once per change and changes nothing else', () => {
    // EACCES injected on the real write: tests run as root in CI, where a read-only folder stops nothing.
    const locked = join(dir, 'locked')
    const file = join(locked, 'settings.json')
    let readOnly = false
    const store = new SettingsStore(file, {
      mkdirSync,
      renameSync,
      writeFileSync: (...args: Parameters<typeof writeFileSync>) => {
        if (readOnly) throw Object.assign(new Error(`EACCES: permission denied, open '${String(args[0])}'`), { code: 'EACCES' })
        writeFileSync(...args)
      },
    })
    store.rememberFolder('/first')
    readOnly = true
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      store.rememberFolder('/second')
      expect(error).toHaveBeenCalledTimes(1)
      expect(error).toHaveBeenCalledWith(`Could not save settings: EACCES: permission denied, open '${file}.${process.pid}.tmp'`)
      store.clearRecentFolders()
      expect(error).toHaveBeenCalledTimes(2)
    } finally {
      error.mockRestore()
    }
    // This launch keeps what the user did; the file keeps what was saved, and nothing is left beside it.
    expect(store.get()).toEqual({ lastFolder: '/second', recentFolders: [] })
    expect(new SettingsStore(file).get()).toEqual({ lastFolder: '/first', recentFolders: ['/first'] })
    expect(readdirSync(locked)).toEqual(['settings.json'])
  })
})
