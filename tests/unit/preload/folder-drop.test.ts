import { describe, expect, it, vi } from 'vitest'
import { forwardDroppedFolders, type DropEventLike } from '../../../src/preload/folder-drop'

function page() {
  const listeners = new Map<string, (event: DropEventLike) => void>()
  const target = { addEventListener: (type: string, listener: (event: DropEventLike) => void) => listeners.set(type, listener) }
  const send = vi.fn()
  forwardDroppedFolders(target, (file) => (file as { path: string }).path, send)
  const fire = (type: 'drop' | 'dragover', fields: Partial<DropEventLike>) => {
    const event = { isTrusted: true, dataTransfer: null, defaultPrevented: false, preventDefault() { event.defaultPrevented = true }, ...fields }
    listeners.get(type)!(event)
    return event
  }
  return { fire, send }
}

describe('dropping a folder on the window', () => {
  it('accepts drags and sends the dropped item’s real path to main', () => {
    const { fire, send } = page()
    expect(fire('dragover', {}).defaultPrevented).toBe(true)
    const drop = fire('drop', { dataTransfer: { files: [{ path: 'C:\\\\Users\\\\me\\\\100% notes' }] } })
    expect(drop.defaultPrevented).toBe(true)
    expect(send).toHaveBeenCalledWith('C:\\\\Users\\\\me\\\\100% notes')
  })

  it('ignores drops made up by a script, drops without files, and items with no path on disk', () => {
    const { fire, send } = page()
    fire('drop', { isTrusted: false, dataTransfer: { files: [{ path: '/etc' }] } })
    fire('drop', { dataTransfer: { files: [] } })
    fire('drop', { dataTransfer: null })
    fire('drop', { dataTransfer: { files: [{ path: '' }] } })
    expect(send).not.toHaveBeenCalled()
  })
})
