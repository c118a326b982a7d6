/**
 * What the desktop app remembers between launches, in `settings.json` in Electron's userData
 * folder: the window's size and position, the last folder and the recent folders. Written
 * atomically (temporary file, rename); a missing or damaged file gives the defaults, never an error.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { z } from 'zod'

/** Open Recent keeps this many folders, newest first. */
export const MAX_RECENT_FOLDERS = 8

const Bounds = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(200).max(100_000),
  height: z.number().int().min(200).max(100_000),
  maximized: z.boolean().optional(),
})
export type WindowBounds = z.infer<typeof Bounds>

const Settings = z.object({
  window: Bounds.optional(),
  lastFolder: z.string().min(1).optional(),
  recentFolders: z.array(z.string().min(1)).max(MAX_RECENT_FOLDERS).default([]),
})
export type DesktopSettings = z.infer<typeof Settings>

/** The file-system calls a save makes; tests pass ones that fail (as root, no permission stops a write). */
export interface SettingsFs {
  mkdirSync: typeof mkdirSync
  writeFileSync: typeof writeFileSync
  renameSync: typeof renameSync
}

const nodeSettingsFs: SettingsFs = { mkdirSync, writeFileSync, renameSync }

export class SettingsStore {
  private current: DesktopSettings

  constructor(
    private readonly file: string,
    private readonly fs: SettingsFs = nodeSettingsFs,
  ) {
    this.current = readSettings(file)
  }

  get(): DesktopSettings {
    return structuredClone(this.current)
  }

  /** Remembers a folder the user opened: the last folder, and first in Open Recent. */
  rememberFolder(folder: string): void {
    const recent = [folder, ...this.current.recentFolders.filter((entry) => entry !== folder)].slice(0, MAX_RECENT_FOLDERS)
    this.write({ ...this.current, lastFolder: folder, recentFolders: recent })
  }

  clearRecentFolders(): void {
    this.write({ ...this.current, recentFolders: [] })
  }

  rememberWindow(bounds: WindowBounds): void {
    const parsed = Bounds.safeParse(bounds)
    if (parsed.success) this.write({ ...this.current, window: parsed.data })
  }

  private write(next: DesktopSettings): void {
    this.current = next
    try {
      this.fs.mkdirSync(dirname(this.file), { recursive: true })
      const partial = `${this.file}.${process.pid}.tmp`
      this.fs.writeFileSync(partial, `${JSON.stringify(next, null, 2)}\n`)
      this.fs.renameSync(partial, this.file)
    } catch (error) {
      // Remembering is a convenience: a read-only profile must not break the app.
      console.error(`Could not save settings: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}

function readSettings(file: string): DesktopSettings {
  try {
    const parsed = Settings.safeParse(JSON.parse(readFileSync(file, 'utf8')))
    if (parsed.success) return parsed.data
  } catch {
    // Missing or not JSON: start from the defaults.
  }
  return { recentFolders: [] }
}
