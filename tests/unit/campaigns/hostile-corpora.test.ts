/**
 * Campaign 3: hostile corpora. One folder holds everything a careless or hostile tree can: links
 * out of it (to a file, a folder, /etc), link loops, a FIFO, a socket, sparse multi-GB files,
 * invalid UTF-8 contents and names, 50,000 small files, folders 200 deep, and files that change
 * (and turn into links) while the scan reads them. The scan must finish with a result that gives a
 * reason for every skip, or a clear error — and never read a byte from outside the folder.
 */
import { execFileSync } from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadCorpus } from '../../../src/main/engine/corpus'
import { UserError } from '../../../src/shared/errors'
import { Tally, within } from './tally'

const SECRET = 'SECRET-OUTSIDE-7f3a9c'
let base: string
let root: string
let outside: string
let socket: Server

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'cllm-hostile-'))
  root = join(base, 'corpus')
  outside = join(base, 'outside')
  mkdirSync(root)
  mkdirSync(outside)
  writeFileSync(join(outside, 'secret.txt'), `${SECRET}\n`)
  mkdirSync(join(outside, 'dir'))
  writeFileSync(join(outside, 'dir', 'inner.txt'), `${SECRET} inner\n`)

  writeFileSync(join(root, 'plain.txt'), 'Ordinary text that trains.\n')
  symlinkSync(join(outside, 'secret.txt'), join(root, 'secret-link.txt'))
  symlinkSync(join(outside, 'dir'), join(root, 'dir-link'))
  symlinkSync('../outside/secret.txt', join(root, 'relative-link.txt'))
  symlinkSync('/etc', join(root, 'etc-link'))
  symlinkSync('.', join(root, 'loop'))
  symlinkSync('b', join(root, 'a'))
  symlinkSync('a', join(root, 'b'))
  symlinkSync('plain.txt', join(root, 'inside-link.txt'))
  execFileSync('mkfifo', [join(root, 'pipe')])
  socket = createServer()
  await new Promise<void>((resolve) => socket.listen(join(root, 'socket'), resolve))
  // Sparse: gigabytes on paper, nothing on disk. One over the cap, one under a raised cap.
  writeFileSync(join(root, 'sparse-huge.txt'), '')
  truncateSync(join(root, 'sparse-huge.txt'), 3 * 1024 ** 3)
  writeFileSync(join(root, 'sparse-zeros.txt'), '')
  truncateSync(join(root, 'sparse-zeros.txt'), 400 * 1024 ** 2)
  writeFileSync(
    join(root, 'latin1.txt'),
    Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e, plain words\n', 'latin1'),
  )
  writeFileSync(
    join(root, 'noise.txt'),
    Buffer.from(Array.from({ length: 4096 }, (_, i) => 0x80 + (i % 64))),
  )
  writeFileSync(Buffer.from(`${root}/bad-name-\xff\xfe.txt`, 'latin1'), 'named badly\n')
  // 50,000 small files.
  const many = join(root, 'many')
  mkdirSync(many)
  for (let d = 0; d < 50; d++) {
    const folder = join(many, `d${d}`)
    mkdirSync(folder)
    for (let f = 0; f < 1000; f++) writeFileSync(join(folder, `f${f}.txt`), `w${d} ${f}\n`)
  }
  // 200 folders deep.
  let deep = join(root, 'deep')
  for (let i = 0; i < 200; i++) deep = join(deep, 'd')
  mkdirSync(deep, { recursive: true })
  writeFileSync(join(deep, 'bottom.txt'), 'at the bottom\n')
  writeFileSync(join(root, 'changing.txt'), 'first version\n')
  writeFileSync(join(root, 'swapping.txt'), 'a plain file for now\n')
  // Writing the 50,000 files takes some 15 s here, and passed 120 s with both cores saturated by other work.
}, 600_000)

afterAll(() => {
  socket.close()
  rmSync(base, { recursive: true, force: true })
})

describe('campaign 3: hostile corpora', () => {
  it('gives a reason for every skip and never reads outside the folder, whatever the tree holds', async () => {
    const tally = new Tally('hostile corpora')
    // Files change, and one turns into a link to the secret and back, while the scan runs.
    let flips = 0
    const mutate = setInterval(() => {
      flips++
      writeFileSync(join(root, 'changing.txt'), flips % 2 ? 'second, longer version\n' : 'x\n')
      const swap = join(root, 'swapping.txt')
      const next = join(root, '.swap-next')
      if (flips % 2) symlinkSync(join(outside, 'secret.txt'), next)
      else writeFileSync(next, 'a plain file again\n')
      renameSync(next, swap)
    }, 2)
    // A hang: the scan of these 50,015 paths takes about 4 s on this 2-core machine, 26 s with both
    // cores kept busy by other work; 300 s is over 10× the loaded figure, so a loaded machine does not
    // turn into a false hang.
    const scanned = await within(
      loadCorpus({ folder: root, maxFileBytes: 500 * 1024 ** 2 }),
      300_000,
    ).finally(() => clearInterval(mutate))
    if (!scanned.settled) {
      tally.record('hang', 'the scan did not finish')
      tally.report()
      expect.fail('the scan hung')
    }
    if ('error' in scanned) {
      // This tree is meant to be scanned (every hostile entry skipped with its reason): a refusal of the
      // whole tree would skip every check below, so it fails the campaign like a crash.
      const what = scanned.error instanceof UserError ? 'refused the whole tree' : 'crashed'
      tally.record('crash', `the scan ${what}: ${String(scanned.error)}`)
      tally.report()
      expect.fail(`the scan ${what}: ${String(scanned.error)}`)
    }
    const { summary, documents } = scanned.value
    const reasonOf = new Map(summary.skipped.map((entry) => [entry.path, entry.reason]))
    const loaded = new Set(summary.files.map((file) => file.path))

    for (const document of documents) {
      if (document.text.includes(SECRET)) tally.record('escape', `read ${document.path}`)
    }
    const expectations: Array<[string, string]> = [
      ['secret-link.txt', 'link-outside'],
      ['dir-link', 'link-outside'],
      ['relative-link.txt', 'link-outside'],
      ['etc-link', 'link-outside'],
      ['loop/', 'symlink-loop'],
      ['a', 'symlink-loop'],
      ['b', 'symlink-loop'],
      ['inside-link.txt', 'duplicate'],
      ['pipe', 'not-a-file'],
      ['socket', 'not-a-file'],
      ['sparse-huge.txt', 'too-large'],
      ['sparse-zeros.txt', 'binary'],
      ['noise.txt', 'binary'],
      ['bad-name-\uFFFD\uFFFD.txt', 'bad-name'],
    ]
    for (const [path, reason] of expectations) {
      const got = reasonOf.get(path)
      tally.record(
        got === reason ? 'refused' : 'crash',
        `${path}: expected ${reason}, got ${got ?? 'loaded or missing'}`,
      )
    }
    for (const path of ['plain.txt', 'latin1.txt', `deep/${'d/'.repeat(200)}bottom.txt`]) {
      tally.record(loaded.has(path) ? 'ok' : 'crash', `${path} not loaded (${reasonOf.get(path)})`)
    }
    const manyLoaded = summary.files.filter((file) => file.path.startsWith('many/')).length
    tally.record(
      manyLoaded === 50_000 ? 'ok' : 'crash',
      `${manyLoaded} of 50,000 small files loaded`,
    )
    // The changing files: loaded as some version, or skipped with a reason — both are fine.
    for (const path of ['changing.txt', 'swapping.txt']) {
      tally.record(
        loaded.has(path) || reasonOf.has(path) ? 'ok' : 'crash',
        `${path} neither loaded nor skipped`,
      )
    }
    for (const entry of summary.skipped) {
      if (!entry.reason) tally.record('crash', `${entry.path} skipped without a reason`)
    }
    const failures = tally.report()
    console.log(
      `[campaign] hostile corpora: ${summary.files.length} files loaded, ${summary.skipped.length} skipped, ` +
        `${flips} changes made during the scan, ${(summary.durationMs / 1000).toFixed(1)} s`,
    )
    expect(failures).toEqual([])
  }, 360_000)
})
