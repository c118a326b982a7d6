import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadCorpus } from '../../src/main/engine/corpus'
import { skipReasonLabels, type CorpusTotals } from '../../src/shared/corpus'
import { expect, expectNoStack, sampleCorpus, scanFolder, test } from './fixtures'
import type { Page } from '@playwright/test'

/** The exact numbers the UI shows (data-value), to compare with the engine's own result. */
async function shownTotals(page: Page): Promise<CorpusTotals & { skipped: number }> {
  const value = async (id: string) =>
    Number(await page.getByTestId(`total-${id}`).getAttribute('data-value'))
  return {
    files: await value('files'),
    bytes: await value('bytes'),
    chars: await value('chars'),
    lines: await value('lines'),
    skipped: await value('skipped'),
  }
}

test('opens on the sample corpus, scanned, with the totals the engine computes', async ({
  page,
  studio,
}) => {
  const direct = await loadCorpus({ folder: sampleCorpus })
  await page.goto(studio.server.openUrl)

  await expect(page.getByTestId('totals')).toBeVisible()
  await expect(page.getByTestId('folder-input')).toHaveValue(sampleCorpus)
  await expect(page.getByTestId('summary-root')).toHaveText(sampleCorpus)
  expect(await shownTotals(page)).toEqual({
    ...direct.summary.totals,
    skipped: direct.summary.skipped.length,
  })
  await expect(page.getByTestId('file-row')).toHaveCount(Math.min(direct.summary.files.length, 250))
  await expect(page.getByTestId('connection-status')).toHaveText('Connected')
  await expect(page.getByTestId('nav-data')).toHaveAttribute('aria-current', 'page')
  for (const later of ['train', 'checkpoints', 'generate'])
    await expect(page.getByTestId(`nav-${later}`)).toBeEnabled()

  // Filter and sort the file list.
  const first = direct.summary.files[0]
  await page.getByTestId('file-filter').fill(first.path)
  await expect(page.getByTestId('file-row').first()).toHaveAttribute('data-path', first.path)
  await page.getByTestId('file-filter').fill('')
  await page.getByTestId('sort-bytes').click()
  const largest = [...direct.summary.files].sort(
    (a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1),
  )[0]
  await expect(page.getByTestId('file-row').first()).toHaveAttribute('data-path', largest.path)
  await page.getByTestId('sort-bytes').click()
  const smallest = [...direct.summary.files].sort(
    (a, b) => a.bytes - b.bytes || (a.path < b.path ? -1 : 1),
  )[0]
  await expect(page.getByTestId('file-row').first()).toHaveAttribute('data-path', smallest.path)
  await page.getByTestId('sort-path').click()
  // resources/screenshot.png is taken by tokenize.spec.ts, with the Tokenize step done.
})

test('scans another folder and shows every skip reason with its label', async ({
  page,
  studio,
}) => {
  const folder = join(studio.tmp, 'project')
  await mkdir(join(folder, 'docs'), { recursive: true })
  await mkdir(join(folder, 'node_modules', 'left-pad'), { recursive: true })
  await writeFile(join(folder, 'README.md'), '# Project\n\nA small project with notes.\n')
  await writeFile(join(folder, 'docs', 'guide.txt'), 'Step one.\nStep two.\nStep three.\n')
  await writeFile(
    join(folder, 'logo.png'),
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 1, 2, 3, 0]),
  )
  await writeFile(join(folder, 'node_modules', 'left-pad', 'index.js'), 'module.exports = 1\n')
  await writeFile(join(folder, '.gitignore'), 'build.log\n')
  await writeFile(join(folder, 'build.log'), 'noise\n')
  await writeFile(join(folder, '.secret.txt'), 'hidden\n')
  const direct = await loadCorpus({ folder })
  const reasons = new Set(direct.summary.skipped.map((s) => s.reason))
  for (const reason of ['binary', 'node_modules', 'gitignored', 'hidden'] as const)
    expect(reasons).toContain(reason)

  await page.goto(studio.server.openUrl)
  await expect(page.getByTestId('totals')).toBeVisible()
  await scanFolder(page, folder)
  await expect(page.getByTestId('summary-root')).toHaveText(folder)
  expect(await shownTotals(page)).toEqual({
    ...direct.summary.totals,
    skipped: direct.summary.skipped.length,
  })
  await expect(page.getByTestId('file-row')).toHaveCount(direct.summary.files.length)

  const groups = page.getByTestId('skipped-group')
  await expect(groups).toHaveCount(reasons.size)
  for (const reason of reasons) {
    const group = page.locator(`[data-testid="skipped-group"][data-reason="${reason}"]`)
    const paths = direct.summary.skipped.filter((s) => s.reason === reason).map((s) => s.path)
    await expect(group.getByTestId('skipped-reason')).toHaveText(skipReasonLabels[reason])
    await expect(group.getByTestId('skipped-count')).toHaveText(String(paths.length))
    await group.locator('summary').click()
    await expect(group.getByTestId('skipped-path')).toHaveText(paths)
  }

  // Back to the sample corpus in one click.
  await page.getByTestId('use-sample').click()
  await expect(page.getByTestId('summary-root')).toHaveText(sampleCorpus)
})

test('bad folders give a clear message and no stack trace', async ({ page, studio }) => {
  const file = join(studio.tmp, 'just-a-file.txt')
  await writeFile(file, 'text\n')
  const empty = join(studio.tmp, 'empty')
  await mkdir(empty, { recursive: true })
  const binaries = join(studio.tmp, 'binaries')
  await mkdir(binaries, { recursive: true })
  await writeFile(join(binaries, 'a.bin'), Buffer.from([0, 1, 2, 0, 4]))
  await writeFile(join(binaries, 'b.dat'), Buffer.from([0xff, 0, 0xfe, 0]))

  const cases = [
    { folder: join(studio.tmp, 'does-not-exist'), code: 'not-found', title: 'Folder not found' },
    { folder: file, code: 'not-a-folder', title: 'Not a folder' },
    { folder: empty, code: 'no-usable-text', title: 'No usable text here' },
    { folder: binaries, code: 'no-usable-text', title: 'No usable text here' },
    { folder: '/usr', code: 'forbidden', title: 'Not allowed' },
  ]
  await page.goto(studio.server.openUrl)
  await expect(page.getByTestId('totals')).toBeVisible()
  for (const { folder, code, title } of cases) {
    // The UI must show the engine's own sentence (not for /usr, which the server refuses before reading).
    const expected =
      code === 'forbidden'
        ? null
        : await loadCorpus({ folder }).then(
            () => null,
            (error: Error) => error.message,
          )
    await scanFolder(page, folder)
    const box = page.getByTestId('error-box')
    await expect(box).toHaveAttribute('data-code', code)
    await expect(box.getByTestId('error-title')).toHaveText(title)
    const message = (await box.getByTestId('error-message').textContent()) ?? ''
    expect(message).toContain(folder)
    if (expected !== null) expect(message).toBe(expected)
    // In a browser there is no picker: a refused folder is explained with the folders it may read.
    else expect(message).toContain(studio.tmp)
    expectNoStack(await page.locator('main').innerText())
    await expect(page.getByTestId('totals')).toHaveCount(0)
  }
})

/** Resolves once the engine has answered the page's corpus.cancelScan: the scan's abort has happened. */
function cancelAnswered(page: Page): Promise<void> {
  return new Promise((resolveAnswer) => {
    page.on('websocket', (socket) => {
      let cancelId: unknown
      const message = (payload: string | Buffer): { id?: unknown; method?: string } => {
        try {
          return JSON.parse(String(payload)) as { id?: unknown; method?: string }
        } catch {
          return {}
        }
      }
      socket.on('framesent', ({ payload }) => {
        const sent = message(payload)
        if (sent.method === 'corpus.cancelScan') cancelId = sent.id
      })
      socket.on('framereceived', ({ payload }) => {
        if (cancelId !== undefined && message(payload).id === cancelId) resolveAnswer()
      })
    })
  })
}

test('cancelling a scan leaves the previous result in place', async ({ page, studio }) => {
  const folder = join(studio.tmp, 'held')
  await mkdir(folder, { recursive: true })
  await Promise.all(
    Array.from({ length: 30 }, (_, i) => writeFile(join(folder, `note-${i}.txt`), `note number ${i}\n`.repeat(20))),
  )
  const answered = cancelAnswered(page)
  await page.goto(studio.server.openUrl)
  await expect(page.getByTestId('totals')).toBeVisible()
  // The scan cannot end by itself: the engine's listing of the folder waits until the test lets it go,
  // which it does only once the engine has taken the Cancel.
  const release = studio.holdListing(folder)
  try {
    await scanFolder(page, folder)
    await page.getByTestId('cancel-scan').click()
    await answered
  } finally {
    release()
  }
  await expect(page.getByTestId('scan-cancelled')).toBeVisible()
  await expect(page.getByTestId('summary-root')).toHaveText(sampleCorpus)
})
