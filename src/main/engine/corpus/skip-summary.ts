/** One clause saying what was skipped and why, for the "holds no usable text" error. */
import type { SkippedPath, SkipReason } from '../../../shared/corpus'

const shortLabels: Record<SkipReason, string> = {
  hidden: 'hidden',
  node_modules: 'node_modules',
  gitignored: 'matched by .gitignore',
  binary: 'binary',
  'too-large': 'too large',
  unreadable: 'unreadable',
  'symlink-loop': 'symbolic link loop',
  'link-outside': 'link outside the folder',
  'bad-name': 'name not UTF-8',
  'checkpoint-dir': 'checkpoint folder',
  'not-a-file': 'not a regular file',
  empty: 'empty',
  duplicate: 'duplicate',
  'other-device': 'another file system',
}

/** "3 paths skipped (2 binary, 1 empty)", or "the folder is empty". Counts in first-seen order of reason. */
export function describeSkips(skipped: readonly SkippedPath[]): string {
  if (skipped.length === 0) return 'the folder is empty'
  const counts = new Map<SkipReason, number>()
  for (const { reason } of skipped) counts.set(reason, (counts.get(reason) ?? 0) + 1)
  const parts = [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${n} ${shortLabels[reason]}`)
  const noun = skipped.length === 1 ? 'path' : 'paths'
  return `${skipped.length} ${noun} skipped (${parts.join(', ')})`
}
