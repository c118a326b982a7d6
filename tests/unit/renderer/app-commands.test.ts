import { describe, expect, it } from 'vitest'
import { shortcutCommand, type KeyLike } from '../../../src/renderer/src/app-commands'
import { SHORTCUTS } from '../../../src/shared/shortcuts'

const key = (fields: Partial<KeyLike>): KeyLike => ({ key: '', ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...fields })

describe('keyboard shortcuts in the browser build', () => {
  it('are the menu’s shortcuts, with Ctrl or ⌘', () => {
    for (const modifier of [{ ctrlKey: true }, { metaKey: true }]) {
      expect(shortcutCommand(key({ ...modifier, key: 'Enter' }))).toEqual({ command: 'train' })
      expect(shortcutCommand(key({ ...modifier, shiftKey: true, key: 'P' }))).toEqual({ command: 'pause' })
      expect(shortcutCommand(key({ ...modifier, key: '.' }))).toEqual({ command: 'stop' })
      expect(shortcutCommand(key({ ...modifier, key: '1' }))).toEqual({ command: 'show', view: 'data' })
      expect(shortcutCommand(key({ ...modifier, key: '4' }))).toEqual({ command: 'show', view: 'generate' })
    }
    // The menu lists the same keys.
    expect(SHORTCUTS).toMatchObject({ train: 'CmdOrCtrl+Enter', pause: 'CmdOrCtrl+Shift+P', stop: 'CmdOrCtrl+.', data: 'CmdOrCtrl+1', generate: 'CmdOrCtrl+4' })
  })

  it('leave typing alone: no modifier, Alt, or another key does nothing', () => {
    expect(shortcutCommand(key({ key: 'Enter' }))).toBeNull()
    expect(shortcutCommand(key({ key: '1' }))).toBeNull()
    expect(shortcutCommand(key({ ctrlKey: true, altKey: true, key: '1' }))).toBeNull()
    expect(shortcutCommand(key({ ctrlKey: true, key: 'c' }))).toBeNull()
    expect(shortcutCommand(key({ ctrlKey: true, key: '5' }))).toBeNull()
    expect(shortcutCommand(key({ ctrlKey: true, shiftKey: true, key: 'Enter' }))).toBeNull()
  })
})
