import { describe, expect, it } from 'vitest'
import { GitignoreRules } from '../../../../../src/main/engine/corpus/gitignore'

describe('GitignoreRules', () => {
  it('ignores nothing without rules', () => {
    expect(GitignoreRules.none.ignores('a/b.txt', false)).toBe(false)
  })

  it('applies a nested file relative to its own folder', () => {
    const rules = GitignoreRules.none.with('docs', '/draft.md\n')
    expect(rules.ignores('docs/draft.md', false)).toBe(true)
    expect(rules.ignores('docs/sub/draft.md', false)).toBe(false) // anchored to docs/
  })

  it('lets a deeper file re-include what a shallower one ignored, and the other way round', () => {
    const rules = GitignoreRules.none.with('', '*.log\n').with('keep', '!*.log\nnoisy.txt\n')
    expect(rules.ignores('a.log', false)).toBe(true)
    expect(rules.ignores('keep/a.log', false)).toBe(false)
    expect(rules.ignores('keep/noisy.txt', false)).toBe(true)
    expect(rules.ignores('noisy.txt', false)).toBe(false)
  })

  it('matches folder-only patterns against folders only', () => {
    const rules = GitignoreRules.none.with('', 'build/\n# comment\n')
    expect(rules.ignores('build', true)).toBe(true)
    expect(rules.ignores('build', false)).toBe(false)
    expect(rules.ignores('src/build', true)).toBe(true)
  })
})
