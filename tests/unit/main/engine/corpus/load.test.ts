import { execFileSync } from 'node:child_process'
import { statSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadCorpus } from '../../../../../src/main/engine/corpus'
import { nodeCorpusFs, type CorpusFs } from '../../../../../src/main/engine/corpus/corpus-fs'
import { loadCorpusWith } from '../../../../../src/main/engine/corpus/load'
import { UserError } from '../../../../../src/shared/errors'
import { makeTempTree, type TempTree } from './temp-tree'

/** Sorts like the loader promises to (code point order), computed independently: by UTF-8 bytes. */
const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code })
}

/** Bytes 0x80..0xFF only: no NUL, and almost none of it forms valid UTF-8. */
function highBytes(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => 0x80 + ((i * 37) % 128))
}

let tree: TempTree
const cleanups: Array<() => void> = []
beforeEach(() => {
  tree = makeTempTree()
})
afterEach(() => {
  tree.remove()
  while (cleanups.length) cleanups.pop()?.()
})

describe('loadCorpus: accepted files', () => {
  it('returns every text file in code point order, with forward-slash paths and exact counts', async () => {
    const contents: Record<string, string> = {
      'b.txt': 'beta\n',
      'a/z.md': 'one\ntwo',
      'a.txt': 'héllo 👋\n\nbye\n',
      'A.txt': 'upper\r\nwindows line\r\n',
      '\uE000.txt': 'private use name\n',
      '\u{1F600}.txt': 'astral name',
      'deep/er/still/file.txt': 'x\n',
    }
    for (const [path, text] of Object.entries(contents)) tree.file(path, text)

    const { summary, documents } = await loadCorpus({ folder: tree.root })

    const expectedOrder = Object.keys(contents).sort(byUtf8)
    expect(summary.files.map((file) => file.path)).toEqual(expectedOrder)
    // U+E000 sorts before U+1F600 by code point, although its UTF-16 unit is larger than a surrogate's.
    expect(expectedOrder.indexOf('\uE000.txt')).toBeLessThan(expectedOrder.indexOf('\u{1F600}.txt'))
    expect(documents.map((document) => document.path)).toEqual(expectedOrder)
    for (const document of documents) expect(document.text).toBe(contents[document.path])

    const expectedLines: Record<string, number> = {
      'b.txt': 1,
      'a/z.md': 2,
      'a.txt': 3,
      'A.txt': 2,
      '\uE000.txt': 1,
      '\u{1F600}.txt': 1,
      'deep/er/still/file.txt': 1,
    }
    for (const file of summary.files) {
      const text = contents[file.path]
      expect(file).toEqual({
        path: file.path,
        bytes: Buffer.byteLength(text),
        chars: [...text].length,
        lines: expectedLines[file.path],
      })
    }
    const sum = (key: 'bytes' | 'chars' | 'lines'): number =>
      summary.files.reduce((n, f) => n + f[key], 0)
    expect(summary.totals).toEqual({
      files: 7,
      bytes: sum('bytes'),
      chars: sum('chars'),
      lines: sum('lines'),
    })
    expect(summary.root).toBe(tree.root)
    expect(summary.skipped).toEqual([])
  })

  it('drops a UTF-8 byte-order mark from the text and the character count, not from the bytes', async () => {
    tree.file('bom.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('hi\n')]))
    const { summary, documents } = await loadCorpus({ folder: tree.root })
    expect(documents[0].text).toBe('hi\n')
    expect(summary.files[0]).toMatchObject({ bytes: 6, chars: 3, lines: 1 })
  })

  it('gives the same result every time', async () => {
    for (let i = 0; i < 40; i++) tree.file(`d${i % 5}/f${(i * 7) % 40}.txt`, `file ${i}\n`)
    tree.file('bin.dat', Buffer.from([1, 0, 2]))
    const first = await loadCorpus({ folder: tree.root })
    const second = await loadCorpus({ folder: tree.root })
    expect({ ...second.summary, durationMs: 0 }).toEqual({ ...first.summary, durationMs: 0 })
    expect(second.documents).toEqual(first.documents)
  })
})

describe('loadCorpus: skipped paths', () => {
  it('leaves out each kind of unusable path with its reason and keeps the rest', async () => {
    const outside = makeTempTree('cllm-outside-')
    cleanups.push(() => outside.remove())
    outside.file('shared.txt', 'from a linked folder outside the root\n')

    tree.file('keep.txt', 'keep me\n')
    tree.file('.hidden.txt', 'secret\n')
    tree.file('.git/config', '[core]\n')
    tree.file('node_modules/pkg/index.js', 'module.exports = 1\n')
    tree.file('.gitignore', '*.log\nbuild/\n')
    tree.file('app.log', 'a log line\n')
    tree.file('build/out.txt', 'build output\n')
    tree.file('docs/.gitignore', 'draft.md\n!important.log\n')
    tree.file('docs/draft.md', 'ignored by docs/.gitignore\n')
    tree.file('docs/important.log', 're-included by docs/.gitignore\n')
    tree.file('docs/guide.md', '# Guide\n')
    tree.file('draft.md', 'docs/.gitignore does not reach the root\n')
    tree.file(
      'image.png',
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
    )
    tree.file('noise.dat', highBytes(1000))
    tree.file('empty.txt', '')
    tree.file('bom-only.txt', Buffer.from([0xef, 0xbb, 0xbf]))
    tree.file('big.txt', 'x'.repeat(2048))
    tree.file('checkpoints/run/final.txt', 'a checkpoint folder is never data\n')
    execFileSync('mkfifo', [tree.path('pipe')])
    tree.link('dangling.txt', 'does-not-exist.txt')
    tree.link('loop', '.')
    tree.link('docs/up', '..')
    tree.link('self-a', 'self-b')
    tree.link('self-b', 'self-a')
    tree.link('again.txt', 'keep.txt')
    tree.link('docs-again', 'docs')
    tree.link('linked', outside.root)

    const { summary } = await loadCorpus({
      folder: tree.root,
      maxFileBytes: 1024,
      excludeDir: tree.path('checkpoints'),
    })

    expect(summary.files.map((file) => file.path)).toEqual(
      ['keep.txt', 'docs/guide.md', 'docs/important.log', 'draft.md'].sort(byUtf8),
    )
    const expected: Array<[string, string]> = [
      ['.git/', 'hidden'],
      ['.gitignore', 'hidden'],
      ['.hidden.txt', 'hidden'],
      ['again.txt', 'duplicate'],
      ['app.log', 'gitignored'],
      ['big.txt', 'too-large'],
      ['bom-only.txt', 'empty'],
      ['build/', 'gitignored'],
      ['checkpoints/', 'checkpoint-dir'],
      ['dangling.txt', 'unreadable'],
      ['docs-again/', 'duplicate'],
      ['docs/.gitignore', 'hidden'],
      ['docs/draft.md', 'gitignored'],
      ['docs/up/', 'symlink-loop'],
      ['empty.txt', 'empty'],
      ['image.png', 'binary'],
      ['linked', 'link-outside'],
      ['loop/', 'symlink-loop'],
      ['node_modules/', 'node_modules'],
      ['noise.dat', 'binary'],
      ['pipe', 'not-a-file'],
      ['self-a', 'symlink-loop'],
      ['self-b', 'symlink-loop'],
    ]
    expected.sort((a, b) => byUtf8(a[0], b[0]))
    expect(summary.skipped.map(({ path, reason }) => [path, reason])).toEqual(expected)
    expect(summary.skipped.find((s) => s.path === 'dangling.txt')?.detail).toBe(
      'broken symbolic link',
    )
    expect(summary.skipped.find((s) => s.path === 'again.txt')?.detail).toBe(
      'same file as keep.txt',
    )
    expect(summary.skipped.find((s) => s.path === 'big.txt')?.detail).toBe('2.00 KiB, cap 1.00 KiB')

    // Only when asked (the CLI's --follow-links) is a link out of the folder read.
    const followed = await loadCorpus({
      folder: tree.root,
      maxFileBytes: 1024,
      excludeDir: tree.path('checkpoints'),
      followLinks: true,
    })
    expect(followed.summary.files.map((file) => file.path)).toContain('linked/shared.txt')
  })

  it('accepts a file exactly at the size cap and skips one byte more', async () => {
    tree.file('at-cap.txt', 'y'.repeat(100))
    tree.file('over-cap.txt', 'y'.repeat(101))
    const { summary } = await loadCorpus({ folder: tree.root, maxFileBytes: 100 })
    expect(summary.files.map((f) => f.path)).toEqual(['at-cap.txt'])
    expect(summary.skipped).toMatchObject([{ path: 'over-cap.txt', reason: 'too-large' }])
  })

  it('skips a file it may not read (EACCES injected: tests run as root, where chmod 000 stops nothing)', async () => {
    tree.file('open.txt', 'readable\n')
    const secret = tree.file('secret.txt', 'not for us\n')
    const fs: CorpusFs = {
      ...nodeCorpusFs,
      openFile: (path) => {
        if (path === secret) throw errnoError('EACCES')
        return nodeCorpusFs.openFile(path)
      },
    }
    const { summary } = await loadCorpusWith({ folder: tree.root }, {}, fs)
    expect(summary.files.map((f) => f.path)).toEqual(['open.txt'])
    expect(summary.skipped).toEqual([
      { path: 'secret.txt', reason: 'unreadable', detail: 'permission denied' },
    ])
  })

  it('skips a sub-folder it may not list (EACCES injected) and reads the rest', async () => {
    tree.file('a.txt', 'a\n')
    const locked = tree.folder('locked')
    tree.file('locked/inside.txt', 'hidden from us\n')
    const fs: CorpusFs = {
      ...nodeCorpusFs,
      readdir: (path) =>
        path === locked ? Promise.reject(errnoError('EACCES')) : nodeCorpusFs.readdir(path),
    }
    const { summary } = await loadCorpusWith({ folder: tree.root }, {}, fs)
    expect(summary.files.map((f) => f.path)).toEqual(['a.txt'])
    expect(summary.skipped).toEqual([
      { path: 'locked/', reason: 'unreadable', detail: 'permission denied' },
    ])
  })
})

describe('loadCorpus: reads', () => {
  /** Wraps the real file system, counting opens and bytes read per path, and files left open. */
  function countingFs(): {
    fs: CorpusFs
    opens: Map<string, number>
    bytesRead: Map<string, number>
    stillOpen: () => number
  } {
    const opens = new Map<string, number>()
    const bytesRead = new Map<string, number>()
    let stillOpen = 0
    const fs: CorpusFs = {
      ...nodeCorpusFs,
      openFile(path) {
        opens.set(path, (opens.get(path) ?? 0) + 1)
        const file = nodeCorpusFs.openFile(path)
        stillOpen++
        return {
          stat: () => file.stat(),
          read(buffer, offset, length, position) {
            const read = file.read(buffer, offset, length, position)
            bytesRead.set(path, (bytesRead.get(path) ?? 0) + read)
            return read
          },
          close() {
            stillOpen--
            file.close()
          },
        }
      },
    }
    return { fs, opens, bytesRead, stillOpen: () => stillOpen }
  }

  it('reads every accepted file exactly once, in full, and nothing else but .gitignore files', async () => {
    const written = new Map<string, string>()
    for (let i = 0; i < 120; i++) {
      const text = `file ${i}\n`.repeat(1 + ((i * 131) % 997))
      written.set(tree.file(`part${i % 4}/sub${i % 3}/file-${i}.txt`, text), text)
    }
    const bigText = 'large file line\n'.repeat(40_000) // 640 KB
    written.set(tree.file('big.txt', bigText), bigText)
    const binary = tree.file('blob.bin', Buffer.from([0, 1, 2, 3]))
    const gitignore = tree.file('.gitignore', 'ignored.txt\n')
    tree.file('ignored.txt', 'never opened\n')
    const counting = countingFs()

    const { summary, documents } = await loadCorpusWith({ folder: tree.root }, {}, counting.fs)

    expect(summary.files).toHaveLength(written.size)
    for (const [path, text] of written) {
      expect(counting.opens.get(path), path).toBe(1)
      expect(counting.bytesRead.get(path), path).toBe(Buffer.byteLength(text))
    }
    // The binary file is opened once to find out; the .gitignore once for its rules; nothing else.
    expect([...counting.opens.keys()].sort()).toEqual([...written.keys(), binary, gitignore].sort())
    expect(counting.opens.get(binary)).toBe(1)
    expect(documents.find((d) => d.path === 'big.txt')?.text).toBe(bigText)
    expect(counting.stillOpen()).toBe(0)
  })

  it('reads a file whose reads come back in small pieces completely', async () => {
    const text = 'piece by piece\n'.repeat(1000)
    tree.file('pieces.txt', text)
    const fs: CorpusFs = {
      ...nodeCorpusFs,
      openFile(path) {
        const file = nodeCorpusFs.openFile(path)
        return {
          stat: () => file.stat(),
          read: (buffer, offset, length, position) =>
            file.read(buffer, offset, Math.min(length, 333), position),
          close: () => file.close(),
        }
      },
    }
    const { documents } = await loadCorpusWith({ folder: tree.root }, {}, fs)
    expect(documents[0].text).toBe(text)
  })

  it('keeps every text intact across many packed chunks, big files and non-ASCII files', async () => {
    const written = new Map<string, string>()
    const add = (path: string, text: string): void => {
      tree.file(path, text)
      written.set(path, text)
    }
    for (let i = 0; i < 30; i++)
      add(`small/${String(i).padStart(2, '0')}.txt`, `${i} `.repeat(20_000 + i * 997))
    add('big-ascii.txt', 'b'.repeat(3 * 1024 * 1024) + '\nend')
    add('small/05-unicode.txt', 'ünïcödé 🌍\n'.repeat(500))
    add('small/06-more.txt', 'after the unicode file\n')
    tree.file('small/07-binary.bin', Buffer.from([0, 1, 2]))

    const { summary, documents } = await loadCorpus({ folder: tree.root })

    expect(documents.map((d) => d.path)).toEqual([...written.keys()].sort(byUtf8))
    for (const document of documents) expect(document.text).toBe(written.get(document.path))
    for (const file of summary.files) {
      const text = written.get(file.path) ?? ''
      expect(file.chars).toBe([...text].length)
      expect(file.lines).toBe(text.split('\n').length - (text.endsWith('\n') ? 1 : 0))
    }
  })

  it('yields to the event loop while it reads, so other work is not held up', async () => {
    for (let i = 0; i < 40; i++) tree.file(`${String(i).padStart(2, '0')}.txt`, `text ${i}\n`)
    let ticks = 0
    const ticksAtOpen: number[] = []
    const timer = setInterval(() => ticks++, 1)
    const fs: CorpusFs = {
      ...nodeCorpusFs,
      openFile(path) {
        ticksAtOpen.push(ticks)
        const until = performance.now() + 1 // a slow disk: 40 ms of reading in all
        while (performance.now() < until);
        return nodeCorpusFs.openFile(path)
      },
    }
    try {
      await loadCorpusWith({ folder: tree.root }, {}, fs)
    } finally {
      clearInterval(timer)
    }
    // Timers only run when the reader yields; it did so between the first and the last file.
    expect(ticksAtOpen.at(-1)).toBeGreaterThan(ticksAtOpen[0])
  })
})

describe('loadCorpus: progress and cancelling', () => {
  it('reports progress while it runs and a final report with the totals', async () => {
    for (let i = 0; i < 200; i++) tree.file(`f/${String(i).padStart(3, '0')}.txt`, `line ${i}\n`)
    tree.file('skip.bin', Buffer.from([0, 0]))
    const reports: Array<Record<string, unknown>> = []
    const { summary } = await loadCorpus(
      { folder: tree.root },
      { onProgress: (p) => reports.push({ ...p }) },
    )

    expect(reports.length).toBeGreaterThanOrEqual(2) // the first tick and the final one
    // Throttled: at most one report per 50 ms, plus the first and the final one.
    expect(reports.length).toBeLessThanOrEqual(Math.ceil(summary.durationMs / 50) + 2)
    expect(reports.at(-1)).toEqual({
      filesSeen: 201,
      filesAccepted: 200,
      filesRead: 201,
      filesToRead: 201,
      bytesRead: summary.totals.bytes,
      currentPath: expect.any(String),
    })
  })

  it('throws "cancelled" when the signal is already aborted', async () => {
    tree.file('a.txt', 'a\n')
    const controller = new AbortController()
    controller.abort()
    await expect(
      loadCorpus({ folder: tree.root }, { signal: controller.signal }),
    ).rejects.toMatchObject({
      code: 'cancelled',
      message: 'Scan cancelled.',
    })
  })

  it('stops reading when cancelled half way, and closes what it opened', async () => {
    for (let i = 0; i < 300; i++) tree.file(`${String(i).padStart(3, '0')}.txt`, `text ${i}\n`)
    const controller = new AbortController()
    let opened = 0
    let open = 0
    const fs: CorpusFs = {
      ...nodeCorpusFs,
      openFile(path) {
        if (++opened === 20) controller.abort()
        const file = nodeCorpusFs.openFile(path)
        open++
        return {
          stat: () => file.stat(),
          read: (buffer, offset, length, position) => file.read(buffer, offset, length, position),
          close: () => (open--, file.close()),
        }
      },
    }
    const error = await loadCorpusWith(
      { folder: tree.root },
      { signal: controller.signal },
      fs,
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UserError)
    expect((error as UserError).code).toBe('cancelled')
    expect(opened).toBe(20)
    expect(open).toBe(0)
  })

  it('stops walking when cancelled from a progress report', async () => {
    for (let i = 0; i < 50; i++) tree.file(`w/${i}.txt`, 'w\n')
    const controller = new AbortController()
    const run = loadCorpus(
      { folder: tree.root },
      { signal: controller.signal, onProgress: () => controller.abort() },
    )
    await expect(run).rejects.toMatchObject({ code: 'cancelled' })
  })
})

describe('loadCorpus: folders it cannot use', () => {
  it('names a path that does not exist', async () => {
    const missing = tree.path('no/such/folder')
    await expect(loadCorpus({ folder: missing })).rejects.toMatchObject({
      code: 'not-found',
      message: `Folder not found: ${missing}`,
    })
  })

  it('refuses a file given as the folder', async () => {
    const file = tree.file('notes.txt', 'text\n')
    await expect(loadCorpus({ folder: file })).rejects.toMatchObject({
      code: 'not-a-folder',
      message: expect.stringContaining(`${file} is a file, not a folder`),
    })
  })

  it('says a folder it cannot list is unreadable (EACCES injected)', async () => {
    tree.file('a.txt', 'a\n')
    const fs: CorpusFs = { ...nodeCorpusFs, readdir: () => Promise.reject(errnoError('EACCES')) }
    await expect(loadCorpusWith({ folder: tree.root }, {}, fs)).rejects.toMatchObject({
      code: 'unreadable',
      message: `Cannot read the folder ${tree.root}: permission denied.`,
    })
  })

  it('says an empty folder holds no usable text', async () => {
    await expect(loadCorpus({ folder: tree.root })).rejects.toMatchObject({
      code: 'no-usable-text',
      message: `${tree.root} holds no usable text: the folder is empty.`,
    })
  })

  it('says a folder of binaries holds no usable text, and counts them', async () => {
    tree.file('a.png', Buffer.from([0x89, 0, 1]))
    tree.file('b/c.bin', highBytes(100))
    await expect(loadCorpus({ folder: tree.root })).rejects.toMatchObject({
      code: 'no-usable-text',
      message: `${tree.root} holds no usable text: 2 paths skipped (2 binary).`,
    })
  })

  it('says why when everything is skipped', async () => {
    tree.file('.env', 'KEY=1\n')
    tree.file('empty.md', '')
    tree.file('data.bin', Buffer.from([0]))
    tree.file('other.bin', Buffer.from([0]))
    tree.link('gone.txt', 'nowhere')
    await expect(loadCorpus({ folder: tree.root })).rejects.toMatchObject({
      code: 'no-usable-text',
      message: `${tree.root} holds no usable text: 5 paths skipped (2 binary, 1 hidden, 1 empty, 1 unreadable).`,
    })
  })

  it('says a folder whose only content is a symlink loop holds no usable text', async () => {
    tree.link('again', '.')
    tree.link('me', 'me')
    await expect(loadCorpus({ folder: tree.root })).rejects.toMatchObject({
      code: 'no-usable-text',
      message: `${tree.root} holds no usable text: 2 paths skipped (2 symbolic link loop).`,
    })
  })

  it('refuses to scan the checkpoint folder itself', async () => {
    tree.file('checkpoint_step_1.safetensors.txt', 'x\n')
    await expect(loadCorpus({ folder: tree.root, excludeDir: tree.root })).rejects.toMatchObject({
      code: 'no-usable-text',
    })
  })

  it('turns bad options into an invalid-input error', async () => {
    await expect(loadCorpus({ folder: tree.root, maxFileBytes: -1 })).rejects.toMatchObject({
      code: 'invalid-input',
      message: expect.stringContaining('maxFileBytes'),
    })
  })

  it('leaves the files it was given unchanged', async () => {
    const file = tree.file('a.txt', 'a\n')
    const before = statSync(file).mtimeMs
    await loadCorpus({ folder: tree.root })
    expect(statSync(file).mtimeMs).toBe(before)
  })
})
