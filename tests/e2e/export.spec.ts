/**
 * Models out and in from the UI: a checkpoint is exported from the Checkpoints view as GGUF (F16)
 * and as a Hugging Face folder, and a run started from that folder with "Start from a model"
 * keeps its shape and starts from its weights.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { listRuns } from '../../src/main/engine/checkpoints'
import { createSession } from '../../src/main/engine/session'
import { expect, leaveCheckpointFolderAsFound, expectNoStack, openStudio, sampleCorpus, screenshotPath, test } from './fixtures'

test.describe.configure({ mode: 'serial' })
leaveCheckpointFolderAsFound()

test('a checkpoint exports as GGUF and as a Hugging Face folder from the Checkpoints view', async ({ page, studio }) => {
  const session = await createSession({
    folder: sampleCorpus,
    sample: false,
    config: {
      model: { vocabSize: 300, embedDim: 32, numLayers: 1, numHeads: 2, seqLen: 32 },
      training: { maxSteps: 20, threads: 1 },
      paths: { checkpointDir: studio.checkpointDir, runName: 'export-me' },
    },
  })
  expect((await session.run()).state).toBe('done')

  // Other specs share the checkpoint folder: what counts is that exporting adds no run.
  const runsBefore = (await listRuns(studio.checkpointDir)).runs.map((run) => run.name)
  expect(runsBefore).toContain('export-me')
  await openStudio(page, studio)
  await page.getByTestId('nav-checkpoints').click()
  const final = page
    .locator('[data-testid="run-card"][data-run="export-me"]')
    .locator('[data-testid="checkpoint-row"][data-file="final_model.safetensors"]')
  await final.getByTestId('checkpoint-export').click()
  const dialog = page.getByTestId('export-dialog')
  await expect(dialog).toBeVisible()
  await dialog.getByTestId('export-gguf-f16').check()
  await dialog.getByTestId('export-confirm').click()
  const result = dialog.getByTestId('export-result')
  await expect(result).toContainText('export-me-final_model-f16.gguf')
  await expect(result).toContainText('ollama create export-me-final_model-f16 -f export-me-final_model-f16.Modelfile')
  await page.screenshot({ path: screenshotPath('screenshot-export.png') })
  const ggufFolder = join(studio.checkpointDir, 'exports', 'export-me-final_model-gguf-f16')
  expect((await readdir(ggufFolder)).sort()).toEqual(['export-me-final_model-f16.Modelfile', 'export-me-final_model-f16.gguf'])
  expect((await readFile(join(ggufFolder, 'export-me-final_model-f16.gguf'))).subarray(0, 4).toString('latin1')).toBe('GGUF')

  await dialog.getByTestId('export-hf').check()
  await dialog.getByTestId('export-confirm').click()
  await expect(result).toContainText('model.safetensors')
  await expect(result).toContainText('GPT2LMHeadModel.from_pretrained')
  expectNoStack(await dialog.innerText())
  // Exports sit beside the runs: still one run listed, its folder unchanged.
  expect((await listRuns(studio.checkpointDir)).runs.map((run) => run.name)).toEqual(runsBefore)
})

test('Start from a model fine-tunes the exported folder, keeping its shape', async ({ page, studio }) => {
  const hf = join(studio.checkpointDir, 'exports', 'export-me-final_model-hf')
  await openStudio(page, studio)
  await page.getByTestId('nav-train').click()
  await page.getByTestId('field-maxSteps').fill('3')
  // A folder that is no model is refused as soon as it is typed, with the engine's reason.
  await page.getByTestId('start-from-path').fill(sampleCorpus)
  await page.getByTestId('start-from-path').press('Enter')
  await expect(page.getByTestId('start-from-model')).toHaveAttribute('data-state', 'refused')
  await expect(page.getByTestId('start-from-error')).toContainText('config.json')
  await expect(page.getByTestId('start-from-model')).not.toContainText('picker')
  // Train does not quietly start from random weights instead.
  await expect(page.getByTestId('train-button')).toBeDisabled()
  // The exported folder: read when typed, its shape said before anything trains.
  await page.getByTestId('start-from-path').fill(hf)
  await page.getByTestId('start-from-path').press('Enter')
  await page.getByTestId('start-from-path').blur()
  await expect(page.getByTestId('start-from-model')).toHaveAttribute('data-state', 'ok')
  await expect(page.getByTestId('start-from-summary')).toHaveText(/^GPT-2 · 32d · 1 layer · 2 heads · context 32 · BPE 300 · [\d.]+ K parameters$/)
  await expect(page.getByTestId('start-from-model')).toContainText('Its size and tokenizer are kept')
  await page.screenshot({ path: screenshotPath('screenshot-start-from-model.png') })
  await page.getByTestId('train-button').click()
  await expect(page.getByTestId('run-finished')).toHaveAttribute('data-reason', 'completed', { timeout: 60_000 })
  const runs = (await listRuns(studio.checkpointDir)).runs
  const tuned = runs.find((run) => (run.info as { initFrom?: string } | null)?.initFrom === hf)
  expect(tuned?.info?.config.model).toMatchObject({ vocabSize: 300, dModel: 32, nLayers: 1, nHeads: 2, seqLen: 32 })
})
