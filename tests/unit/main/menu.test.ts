import { describe, expect, it, vi } from 'vitest'
import type { MenuItemConstructorOptions } from 'electron'

vi.mock('electron', () => import('./fake-electron'))

const fake = await import('./fake-electron')
const { buildMenuTemplate, installMenu } = await import('../../../src/main/menu')

const base = { appName: 'CLLM Studio', platform: 'linux' as NodeJS.Platform, isDev: false, openFolder: () => {} }

function submenu(template: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions[] {
  const menu = template.find((item) => item.label === label || item.role === label)
  if (!menu) throw new Error(`no menu ${label}`)
  return menu.submenu as MenuItemConstructorOptions[]
}
const roles = (items: MenuItemConstructorOptions[]) => items.map((item) => item.role).filter(Boolean)

describe('application menu', () => {
  it('has File, Edit, Run, View and Help on Linux and Windows', () => {
    const template = buildMenuTemplate(base)
    expect(template.map((item) => item.label ?? item.role)).toEqual(['File', 'Edit', 'Run', 'View', 'help'])
    expect(roles(submenu(template, 'File'))).toEqual(['quit'])
    expect(roles(submenu(template, 'Edit'))).toEqual(['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll'])
    expect(roles(submenu(template, 'help'))).toEqual(['about'])
  })

  it('File → Open Folder… runs the folder picker', () => {
    const openFolder = vi.fn()
    const item = submenu(buildMenuTemplate({ ...base, openFolder }), 'File').find((entry) => entry.id === 'open-folder')
    expect(item?.label).toBe('Open Folder…')
    expect(item?.accelerator).toBe('CmdOrCtrl+O')
    ;(item?.click as () => void)()
    expect(openFolder).toHaveBeenCalledTimes(1)
  })

  it('offers reload and developer tools only while developing', () => {
    const shipped = roles(submenu(buildMenuTemplate(base), 'View'))
    expect(submenu(buildMenuTemplate(base), 'View').slice(0, 4).map((item) => item.label)).toEqual(['Data', 'Train', 'Checkpoints', 'Generate'])
    expect(shipped).toEqual(['resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen'])
    const dev = roles(submenu(buildMenuTemplate({ ...base, isDev: true }), 'View'))
    expect(dev).toEqual(['reload', 'forceReload', 'toggleDevTools', 'resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen'])
  })

  it('follows macOS conventions: an app menu, and Close instead of Quit under File', () => {
    const template = buildMenuTemplate({ ...base, platform: 'darwin' })
    expect(template[0].label).toBe('CLLM Studio')
    expect(roles(template[0].submenu as MenuItemConstructorOptions[])).toContain('quit')
    expect(roles(submenu(template, 'File'))).toEqual(['close'])
  })

  it('lists the shortcuts for Train, Pause, Stop and each view, and sends each as a command to the window', () => {
    const command = vi.fn()
    const template = buildMenuTemplate({ ...base, command })
    const items = [...submenu(template, 'Run'), ...submenu(template, 'View')].filter((item) => item.accelerator)
    expect(items.map((item) => [item.label, item.accelerator])).toEqual([
      ['Train', 'CmdOrCtrl+Enter'],
      ['Pause or Continue', 'CmdOrCtrl+Shift+P'],
      ['Stop', 'CmdOrCtrl+.'],
      ['Data', 'CmdOrCtrl+1'],
      ['Train', 'CmdOrCtrl+2'],
      ['Checkpoints', 'CmdOrCtrl+3'],
      ['Generate', 'CmdOrCtrl+4'],
    ])
    for (const item of items) (item.click as () => void)()
    expect(command.mock.calls.map(([sent]) => sent)).toEqual([
      { command: 'train' },
      { command: 'pause' },
      { command: 'stop' },
      { command: 'show', view: 'data' },
      { command: 'show', view: 'train' },
      { command: 'show', view: 'checkpoints' },
      { command: 'show', view: 'generate' },
    ])
    // No accelerator is used twice.
    const accelerators = template.flatMap((menu) => (menu.submenu as MenuItemConstructorOptions[]).map((item) => item.accelerator)).filter(Boolean)
    expect(new Set(accelerators).size).toBe(accelerators.length)
  })

  it('File → Open Recent lists the recent folders newest first, opens one, and clears the list', () => {
    const openRecent = vi.fn()
    const clearRecent = vi.fn()
    const recent = (folders: string[]) =>
      submenu(buildMenuTemplate({ ...base, recentFolders: folders, openRecent, clearRecent }), 'File').find((item) => item.id === 'open-recent')!
        .submenu as MenuItemConstructorOptions[]
    const items = recent(['/home/me/notes', '/home/me/book'])
    expect(items.map((item) => item.label ?? item.type)).toEqual(['/home/me/notes', '/home/me/book', 'separator', 'Clear Menu'])
    ;(items[1].click as () => void)()
    expect(openRecent).toHaveBeenCalledWith('/home/me/book')
    ;(items[3].click as () => void)()
    expect(clearRecent).toHaveBeenCalledTimes(1)
    expect(recent([]).map((item) => [item.label, item.enabled])).toEqual([['Clear Menu', false]])
  })

  it('installs the menu as the application menu', () => {
    installMenu(base)
    expect(fake.Menu.setApplicationMenu).toHaveBeenCalledTimes(1)
    // Click handlers are fresh closures, so compare the serialisable shape.
    expect(JSON.stringify(fake.Menu.current)).toBe(JSON.stringify({ template: buildMenuTemplate(base) }))
  })
})
