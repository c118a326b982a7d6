import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseMaxFileMb, scanFolder } from '../../../src/cli/commands/scan'
import { ScanSummary } from '../../../src/shared/corpus'
import { makeTempTree, type TempTree } from '../main/engine/corpus/temp-tree'

let tree: TempTree
beforeEach(() => {
  tree = makeTempTree('cllm-scan-cli-')
  tree.file('notes/a.md', '# A\nfirst\n')
  tree.file('notes/b.md', 'second\n')
  tree.file('story.txt', 'Once upon a time.\n')
  tree.file('.hidden', 'secret\n')
  tree.file('img.bin', Buffer.from([0, 1, 2, 3]))
  tree.file('raw.dat', Buffer.from([9, 0]))
  tree.file('empty.txt', '')
})
afterEach(() => tree.remove())

async function scanLines(options: Parameters<typeof scanFolder>[1]): Promise<string[]> {
  const lines: string[] = []
  await scanFolder(tree.root, options, (line) => lines.push(line))
  return lines
}

describe('cllm scan (in process)', () => {
  it('with --verbose prints one Loaded line per file, then totals and skips grouped by reason', async () => {
    const lines = await scanLines({ verbose: true })
    const loaded = lines.filter((line) => line.startsWith('Loaded: '))
    expect(loaded).toEqual([
      'Loaded: notes/a.md (10 bytes)',
      'Loaded: notes/b.md (7 bytes)',
      'Loaded: story.txt (18 bytes)',
    ])
    expect(lines.slice(loaded.length)).toEqual([
      `Scanned ${tree.root} in ${lines[3].match(/in (\S+) s$/)?.[1]} s`,
      '  files:      3',
      '  bytes:      35',
      '  characters: 35',
      '  lines:      4',
      'Skipped: 4',
      '  binary file (not UTF-8 text) (2):',
      '    img.bin',
      '    raw.dat',
      '  empty file (1):',
      '    empty.txt',
      '  hidden file or folder (1):',
      '    .hidden',
    ])
  })

  it('without --verbose prints no Loaded lines', async () => {
    const lines = await scanLines({})
    expect(lines.some((line) => line.startsWith('Loaded:'))).toBe(false)
    expect(lines[0]).toMatch(/^Scanned /)
  })

  it('with --json prints exactly one JSON document: the scan summary', async () => {
    const lines = await scanLines({ json: true, verbose: true })
    expect(lines).toHaveLength(1)
    const summary = ScanSummary.parse(JSON.parse(lines[0]))
    expect(summary.files.map((file) => file.path)).toEqual([
      'notes/a.md',
      'notes/b.md',
      'story.txt',
    ])
    expect(summary.totals.files).toBe(3)
  })

  it('applies --max-file-mb and refuses values that are not a size', async () => {
    tree.file('big.txt', 'x'.repeat(200 * 1024))
    const summary = await scanFolder(tree.root, { maxFileMb: '0.1' }, () => {})
    expect(summary.skipped.find((s) => s.path === 'big.txt')?.reason).toBe('too-large')
    expect(parseMaxFileMb('1.5')).toBe(1.5 * 1024 * 1024)
    for (const bad of ['0', '-1', 'ten', '', '4096']) {
      expect(() => parseMaxFileMb(bad)).toThrow(/--max-file-mb must be a number/)
    }
  })
})

describe('cllm scan (as a command)', () => {
  const repo = resolve(import.meta.dirname, '../../..')
  /** Runs the CLI entry under tsx; __APP_VERSION__ (a build-time constant) is set by a preload. */
  function cllm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const setVersion = `data:text/javascript,globalThis.__APP_VERSION__='test'`
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', setVersion, 'src/cli/index.ts', ...args],
      { cwd: repo, encoding: 'utf8', timeout: 60_000 },
    )
    return { status: result.status, stdout: result.stdout, stderr: result.stderr }
  }

  it('prints the summary JSON and exits 0', () => {
    const result = cllm('scan', tree.root, '--json')
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    expect(ScanSummary.parse(JSON.parse(result.stdout)).totals.files).toBe(3)
  })

  it('reports a bad folder in one line, without a stack, and exits non-zero', () => {
    const missing = tree.path('missing')
    const result = cllm('scan', missing)
    expect(result.status).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(`Error: Folder not found: ${missing}\n`)
  })
})

describe('cllm scan of chat data', () => {
  it('counts the conversations of each .jsonl file and prints every bad line with its reason', async () => {
    tree.file('chat/pairs.jsonl', '{"prompt":"a","completion":"b"}\n{"prompt":"c"}\n')
    tree.file('chat/talk.jsonl', '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}\n')
    const lines = await scanLines({})
    const from = lines.indexOf('Chat data: 2 conversations in 2 .jsonl files')
    expect(from).toBeGreaterThan(0)
    expect(lines.slice(from, from + 5)).toEqual([
      'Chat data: 2 conversations in 2 .jsonl files',
      '  chat/pairs.jsonl: 1 conversations, 1 bad lines — prompt and completion {"prompt", "completion"}',
      '  chat/talk.jsonl: 1 conversations, 0 bad lines — chat messages {"messages": [{"role", "content"}, …]}',
      'Bad lines: 1',
      '  chat/pairs.jsonl:2: has none of the shapes: "messages", "instruction" + "output", or "prompt" + "completion"',
    ])
    const summary = ScanSummary.parse((await scanFolder(tree.root, { json: true }, () => undefined)))
    expect(summary.chat?.conversations).toBe(2)
  })
})
