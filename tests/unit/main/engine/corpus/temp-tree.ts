/** Builds real folder trees in a temporary directory for the corpus tests. */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

export interface TempTree {
  root: string
  /** Writes a file (creating folders); content is text (UTF-8) or raw bytes. */
  file(relative: string, content: string | Uint8Array): string
  folder(relative: string): string
  /** Creates a symbolic link at `relative` whose target is `target` (as given, relative or absolute). */
  link(relative: string, target: string): string
  path(relative: string): string
  remove(): void
}

export function makeTempTree(prefix = 'cllm-corpus-'): TempTree {
  const root = mkdtempSync(join(tmpdir(), prefix))
  const path = (relative: string): string => join(root, relative)
  return {
    root,
    path,
    file(relative, content) {
      const target = path(relative)
      mkdirSync(dirname(target), { recursive: true })
      writeFileSync(target, content)
      return target
    },
    folder(relative) {
      const target = path(relative)
      mkdirSync(target, { recursive: true })
      return target
    },
    link(relative, target) {
      const at = path(relative)
      mkdirSync(dirname(at), { recursive: true })
      symlinkSync(target, at)
      return at
    },
    remove() {
      rmSync(root, { recursive: true, force: true })
    },
  }
}
