import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadCorpus } from '../../src/main/engine/corpus'
import { prepareDataset, type PreparedDataset } from '../../src/main/engine/dataset'
import type { Page } from '@playwright/test'
import { dataNumber, expect, openStudio, sampleCorpus, screenshotPath, test } from './fixtures'

/** The engine's own preparation of the sample corpus, as the Tokenize step should report it. */
async function prepareDirectly(vocabSize: number): Promise<{
  prepared: PreparedDataset
  documents: Awaited<ReturnType<typeof loadCorpus>>['documents']
}> {
  const { documents } = await loadCorpus({ folder: sampleCorpus })
  const dir = await mkdtemp(join(tmpdir(), 'cllm-e2e-prepare-'))
  try {
    const prepared = await prepareDataset({
      documents,
      tokenizer: { kind: 'bpe', vocabSize },
      runDir: dir,
      seqLen: 32,
      // The Train form's split (seed 42, 10% validation): Tokenize shows the split a run trains on.
      seed: 42,
      validationFraction: 0.1,
    })
    return { prepared, documents }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Records, inside the page, every phase the Tokenize progress bar shows (it can be brief). */
async function recordPhases(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    // The DOM as far as this script needs it (the Node typecheck has no DOM library).
    type Element = { getAttribute(name: string): string | null }
    const browser = globalThis as unknown as {
      document: { body: object; querySelector(selector: string): Element | null }
      MutationObserver: new (callback: () => void) => { observe(target: object, options: object): void }
      seenPhases: string[]
    }
    browser.seenPhases = []
    new browser.MutationObserver(() => {
      const phase = browser.document
        .querySelector('[data-testid="tokenize-phase"]')
        ?.getAttribute('data-phase')
      if (phase && browser.seenPhases.at(-1) !== phase) browser.seenPhases.push(phase)
    }).observe(browser.document.body, { subtree: true, childList: true, attributes: true })
  })
  return () => page.evaluate(() => (globalThis as unknown as { seenPhases: string[] }).seenPhases)
}

test('Tokenize shows the counts the engine computes and a file as coloured tokens', async ({
  page,
  studio,
}) => {
  // A vocabulary no other spec uses (they use 300 and 500), so nothing has cached it in this worker's
  // fresh checkpoint folder: the tokenizer really trains and shows its progress. Fixed, so a failure reproduces.
  const fresh = 437
  const { prepared: freshPrepared } = await prepareDirectly(fresh)
  await openStudio(page, studio)
  await expect(page.getByTestId('vocab-size')).toHaveValue('500')
  await page.getByTestId('vocab-size').fill(String(fresh))
  const phases = await recordPhases(page)
  await page.getByTestId('tokenize-button').click()
  await expect(page.getByTestId('tokenize-result')).toBeVisible({ timeout: 30_000 })
  expect(await phases()).toEqual(['train', 'encode'])
  const summary = freshPrepared.summary
  expect(await dataNumber(page, 'tok-vocab')).toBe(summary.vocabSize)
  expect(await dataNumber(page, 'tok-total')).toBe(summary.totalTokens)
  expect(await dataNumber(page, 'tok-train')).toBe(summary.trainTokens)
  expect(await dataNumber(page, 'tok-val')).toBe(summary.valTokens)
  expect(await dataNumber(page, 'tok-bpt')).toBeCloseTo(summary.bytesPerToken, 10)
  // What each side of the split holds, as the engine counts it.
  const split = page.getByTestId('split-summary')
  await expect(split).toHaveAttribute('data-method', 'blocks')
  expect(await dataNumber(page, 'split-summary', 'data-train-files')).toBe(summary.split.train.files)
  expect(await dataNumber(page, 'split-summary', 'data-validation-files')).toBe(summary.split.validation.files)
  await expect(split).toContainText(/^Split by blocks of ~4 KiB: training \d+ files?, .* \(\d+\.\d %\); validation \d+ files?, .* \(\d+\.\d %\)$/)

  // The original CLLM example's 500, in one click.
  const { prepared, documents } = await prepareDirectly(500)
  await page.getByRole('button', { name: '500', exact: true }).click()
  await page.getByTestId('tokenize-button').click()
  await expect(page.getByTestId('tok-vocab')).toHaveAttribute('data-value', '500')
  expect(await dataNumber(page, 'tok-total')).toBe(prepared.summary.totalTokens)

  // Another file as tokens: the chips carry the engine's ids, in order, and hovering shows one.
  const file = documents.find((document) => document.path.startsWith('stories/'))!
  await page.getByTestId('preview-file').selectOption(file.path)
  const ids = [...prepared.tokenizer.encode(file.text.slice(0, 3000))]
  await expect(page.getByTestId('token-preview')).toHaveAttribute('data-count', String(ids.length))
  const shown = await page
    .getByTestId('token')
    .evaluateAll((chips) => chips.map((chip) => Number(chip.getAttribute('data-id'))))
  expect(shown).toEqual(ids)
  const pieces = prepared.tokenizer.pieces(ids)
  const text = await page.getByTestId('token-preview').innerText()
  // The text reads as the file, with whitespace marks (·, →, ↵) in place of bare whitespace.
  expect(text.replace(/↵|·|→|\s/g, '')).toBe(pieces.join('').replace(/\s/g, ''))
  await page.getByTestId('token').nth(3).hover()
  await expect(page.getByTestId('token-readout')).toHaveText(`token ${ids[3]}`)

  await page.setViewportSize({ width: 1280, height: 1180 })
  await page.mouse.move(0, 0)
  await page.screenshot({ path: screenshotPath('screenshot.png') })
})

test('a vocabulary the tokenizer cannot have is named before anything runs', async ({
  page,
  studio,
}) => {
  await openStudio(page, studio)
  await page.getByTestId('vocab-size').fill('100')
  await expect(page.getByTestId('vocab-error')).toContainText('Vocabulary size')
  await expect(page.getByTestId('vocab-error')).toContainText('257')
  await expect(page.getByTestId('tokenize-button')).toBeDisabled()
  await page.getByTestId('tokenizer-word').click()
  await expect(page.getByTestId('vocab-error')).toHaveCount(0)
  await expect(page.getByTestId('tokenize-button')).toBeEnabled()
})
