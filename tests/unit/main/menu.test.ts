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
  it('has File, Edit, View and Help on Linux and Windows', () => {
    const template = buildMenuTemplate(base)
    expect(template.map((item) => item.label ?? item.role)).toEqual(['File', 'Edit', 'View', 'help'])
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

  it('installs the menu as the application menu', () => {
    installMenu(base)
    expect(fake.Menu.setApplicationMenu).toHaveBeenCalledTimes(1)
    // Click handlers are fresh closures, so compare the serialisable shape.
    expect(JSON.stringify(fake.Menu.current)).toBe(JSON.stringify({ template: buildMenuTemplate(base) }))
  })
})
