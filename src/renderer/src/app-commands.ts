/**
 * The desktop commands (Run and View menus, their shortcuts, a clicked notification) carried to the
 * page as `app.command` events, and the same shortcuts as keys where there is no menu (the
 * browser build). Each does what the matching button does, and nothing a button could not.
 */
import type { AppCommand } from '../../shared/contract'
import { useAppStore } from './stores/app'
import { useCorpusStore } from './stores/corpus'
import { useRunConfigStore } from './stores/run-config'
import { useRunsStore } from './stores/runs'
import { useTrainingStore } from './stores/training'

export function runAppCommand(command: AppCommand): void {
  const app = useAppStore()
  const training = useTrainingStore()
  switch (command.command) {
    case 'show':
      app.go(command.view)
      break
    case 'open-run':
      app.go('checkpoints')
      // The run's page when its folder is known (a finished run's notification), else the list.
      if (command.runDir) useRunsStore().open = command.runDir
      break
    case 'pause':
      if (training.state === 'training') void training.pause()
      else if (training.state === 'paused') void training.resume()
      break
    case 'stop':
      if (training.state === 'training' || training.state === 'paused') void training.stop()
      break
    case 'train': {
      app.go('train')
      const folder = useCorpusStore().folder
      const config = useRunConfigStore().check.config
      if (folder && config && !training.active && !training.starting) void training.start({ folder, config })
      break
    }
  }
}

export interface KeyLike {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  shiftKey: boolean
  altKey: boolean
}

const VIEWS = ['data', 'train', 'checkpoints', 'generate'] as const

/**
 * The menu's shortcuts (src/main/menu.ts SHORTCUTS) as keys: Ctrl or ⌘ with Enter (Train),
 * Shift+P (Pause or Continue), "." (Stop), 1–4 (views). Null for any other key.
 */
export function shortcutCommand(event: KeyLike): AppCommand | null {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return null
  const key = event.key.toLowerCase()
  if (event.shiftKey) return key === 'p' ? { command: 'pause' } : null
  if (key === 'enter') return { command: 'train' }
  if (key === '.') return { command: 'stop' }
  const index = ['1', '2', '3', '4'].indexOf(key)
  return index >= 0 ? { command: 'show', view: VIEWS[index] } : null
}
