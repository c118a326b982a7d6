import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadCorpus } from '../../src/main/engine/corpus'
import { prepareDataset, type PreparedDataset } from '../../src/main/engine/dataset'
import { dataNumber, expect, openStudio, repoRoot, sampleCorpus, test } from './fixtures'

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
    })
    return { prepared, documents }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

test('Tokenize shows the counts the engine computes and a file as coloured tokens', async ({
  page,
  studio,
}) => {
  const { prepared, documents } = await prepareDirectly(500)
  await openStudio(page, studio)

  await expect(page.getByTestId('vocab-size')).toHaveValue('500')
  await page.getByTestId('tokenize-button').click()
  await expect(page.getByTestId('tokenize-result')).toBeVisible({ timeout: 30_000 })
  const summary = prepared.summary
  expect(await dataNumber(page, 'tok-vocab')).toBe(summary.vocabSize)
  expect(await dataNumber(page, 'tok-total')).toBe(summary.totalTokens)
  expect(await dataNumber(page, 'tok-train')).toBe(summary.trainTokens)
  expect(await dataNumber(page, 'tok-val')).toBe(summary.valTokens)
  expect(await dataNumber(page, 'tok-bpt')).toBeCloseTo(summary.bytesPerToken, 10)

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
  await page.screenshot({ path: join(repoRoot, 'resources', 'screenshot.png') })
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
