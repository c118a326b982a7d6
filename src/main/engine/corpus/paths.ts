/**
 * Path helpers for the corpus: relative paths always use forward slashes, and every list is sorted
 * by Unicode code point, so a scan gives the same order on every machine and locale.
 */

/**
 * Compares two strings by Unicode code point (what `<` does not: it compares UTF-16 code units,
 * which puts U+E000..U+FFFF after astral characters). Same order as comparing their UTF-8 bytes.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) - codePointRank(y)
  }
  return a.length - b.length
}

/** Moves surrogates (D800..DFFF) above the rest of the BMP so code units sort like code points. */
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000
  if (unit >= 0xe000) return unit - 0x800
  return unit
}

/** `parent/name` with forward slashes; the root is ''. */
export function joinRelative(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`
}

/** How a skipped folder is listed: with a trailing slash, so it reads as a folder. */
export function folderLabel(relative: string): string {
  return `${relative}/`
}

/** Whether `inner` is `outer` itself or lies inside it (both absolute, same separator). */
export function isSameOrInside(inner: string, outer: string, separator: string): boolean {
  if (inner === outer) return true
  const prefix = outer.endsWith(separator) ? outer : outer + separator
  return inner.startsWith(prefix)
}
