/**
 * .gitignore rules as git applies them: each file speaks about paths relative to its own folder,
 * and a deeper file overrides a shallower one (including `!pattern` to re-include).
 */
import ignore, { type Ignore } from 'ignore'

interface Layer {
  /** Folder holding the .gitignore, relative to the scan root ('' for the root). */
  base: string
  matcher: Ignore
}

export class GitignoreRules {
  static readonly none = new GitignoreRules([])

  private constructor(private readonly layers: readonly Layer[]) {}

  /** The rules in force below `base` once its .gitignore (with this text) is added. */
  with(base: string, text: string): GitignoreRules {
    return new GitignoreRules([...this.layers, { base, matcher: ignore().add(text) }])
  }

  /** Whether `relativePath` (from the scan root, forward slashes) is ignored. */
  ignores(relativePath: string, isFolder: boolean): boolean {
    let ignored = false
    for (const { base, matcher } of this.layers) {
      if (base !== '' && !relativePath.startsWith(`${base}/`)) continue // a file speaks only of its own folder
      const local = base === '' ? relativePath : relativePath.slice(base.length + 1)
      // A trailing slash lets folder-only patterns such as `build/` match.
      const result = matcher.test(isFolder ? `${local}/` : local)
      if (result.ignored) ignored = true
      else if (result.unignored) ignored = false
    }
    return ignored
  }
}
