/**
 * The Runs view with the real engine: two runs that differ only in learning rate compared (the
 * overlaid curves are the runs' metrics.jsonl, the config diff is the learning rate alone), a
 * resumed run's page continuing its parent's curve, and a title, notes and delete that survive a
 * reload. Screenshots of the Runs view, a run page and Compare.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { listRunSummaries } from '../../src/main/engine/runs'
import type { MetricsRecord } from '../../src/shared/checkpoint'
import { expect, leaveCheckpointFolderAsFound, openStudio, sampleCorpus, screenshotPath, test } from './fixtures'
import { cachedValidationTokens } from '../../src/main/engine/dataset/validation'
import { evaluateTokenStreams, openCheckpointModel } from '../../src/main/engine/session/from-checkpoint'

test.describe.configure({ mode: 'serial' })

const ours = leaveCheckpointFolderAsFound()

const STEPS = 30

async function trainOnce(page: Page, checkpointDir: string, learningRate: string): Promise<void> {
  await page.getByTestId('nav-train').click()
  await expect(page.getByTestId('train-button')).toBeEnabled()
  // After a run the settings are folded away.
  if (!(await page.getByTestId('preset-tiny').isVisible())) await page.getByTestId('settings-toggle').click()
  await page.getByTestId('preset-tiny').click()
  // GPT-2 named: the run is exported to a Hugging Face folder below, whatever the default family.
  await page.getByTestId('field-architecture').selectOption('gpt2')
  await page.getByTestId('field-threads').fill('2')
  await page.getByTestId('field-maxSteps').fill(String(STEPS))
  await page.getByTestId('field-learningRate').fill(learningRate)
  const more = page.getByText('More settings')
  if (!(await page.getByTestId('field-evalInterval').isVisible())) await more.click()
  await page.getByTestId('field-evalInterval').fill('10')
  await page.getByTestId('field-checkpointInterval').fill('0')
  const done = async () => (await ours(checkpointDir)).filter((run) => run.status === 'done').length
  const before = await done()
  await page.getByTestId('train-button').click()
  // The previous run's "Finished" card stays until the new run's first event: wait for the new run itself.
  await expect.poll(done, { timeout: 45_000 }).toBe(before + 1)
  await expect(page.getByTestId('run-finished')).toHaveAttribute('data-reason', 'completed')
}

/** Toasts from the finished run would cover the screenshot. */
async function shoot(page: Page, name: string): Promise<void> {
  for (const close of await page.getByTestId('toast').getByRole('button', { name: 'Dismiss' }).all()) await close.click()
  await expect(page.getByTestId('toast')).toHaveCount(0)
  await page.mouse.move(0, 0)
  await page.screenshot({ path: screenshotPath(name), fullPage: true })
}

async function metrics(runDir: string): Promise<MetricsRecord[]> {
  const text = await readFile(join(runDir, 'metrics.jsonl'), 'utf8')
  return text.trim().split('\n').map((line) => JSON.parse(line) as MetricsRecord)
}

const lossPoints = (records: MetricsRecord[]) => records.filter((r) => r.loss !== null).map((r) => [r.step, r.loss])

async function series(page: Page, testId: string): Promise<Array<{ label: string; points: number[][] }>> {
  return JSON.parse((await page.getByTestId(testId).getAttribute('data-series')) ?? '[]')
}

test('two runs that differ in learning rate, compared: curves equal metrics.jsonl, the diff is the learning rate', async ({ page, studio }) => {
  await openStudio(page, studio)
  await trainOnce(page, studio.checkpointDir, '0.001')
  await trainOnce(page, studio.checkpointDir, '0.003')
  const runs = await ours(studio.checkpointDir)
  expect(runs.map((run) => run.status)).toEqual(['done', 'done'])

  await page.getByTestId('nav-checkpoints').click()
  for (const run of runs) await page.locator(`[data-testid="runs-row"][data-run="${run.name}"]`).getByTestId('runs-pick').check()
  await shoot(page, 'screenshot-runs.png')
  await page.getByTestId('runs-compare').click()

  // The histories load after the click: wait until the chart draws both runs, then compare.
  await expect.poll(async () => (await series(page, 'compare-chart-loss')).map((s) => s.label).sort()).toEqual(runs.map((run) => run.name).sort())
  const drawn = await series(page, 'compare-chart-loss')
  const byLabel = new Map(drawn.map((s) => [s.label, s.points]))
  for (const run of runs) expect(byLabel.get(run.name)).toEqual(lossPoints(await metrics(run.path)))
  const rows = page.getByTestId('compare-config-row')
  await expect(rows).toHaveCount(1)
  await expect(rows).toHaveAttribute('data-field', 'training.learningRate')
  await page.getByTestId('compare-only-diff').uncheck()
  expect(await rows.count()).toBeGreaterThan(5)
  await page.getByTestId('compare-only-diff').check()
  await page.getByTestId('compare-smoothing').fill('0.6')
  await shoot(page, 'screenshot-compare.png')
})

test('a resumed run is a new run whose page continues its parent’s curve', async ({ page, studio }) => {
  const [first] = await ours(studio.checkpointDir)
  await openStudio(page, studio)
  await page.getByTestId('nav-checkpoints').click()
  await page.locator(`[data-testid="runs-row"][data-run="${first.name}"]`).getByTestId('runs-open').click()
  await page.locator('[data-testid="run-checkpoint"][data-file="final_model.safetensors"]').getByTestId('run-checkpoint-resume').click()
  const dialog = page.getByTestId('resume-dialog')
  await dialog.getByTestId('resume-max-steps').fill(String(STEPS + 10))
  await dialog.getByTestId('resume-confirm').click()
  // The page may still show the last run's "Finished" card: wait for the child run itself.
  const childDone = async () => (await ours(studio.checkpointDir)).some((run) => run.parent !== null && run.status === 'done')
  await expect.poll(childDone, { timeout: 45_000 }).toBe(true)
  await expect(page.getByTestId('run-finished')).toHaveAttribute('data-reason', 'completed')

  const child = (await ours(studio.checkpointDir)).find((run) => run.parent !== null)!
  expect(child.parent).toMatchObject({ runDir: first.path, step: STEPS })
  await page.getByTestId('nav-checkpoints').click()
  const childRow = page.locator(`[data-testid="runs-row"][data-run="${child.name}"]`)
  await expect(childRow.getByTestId('runs-parent')).toContainText(`resumed from ${first.name} at step ${STEPS}`)
  await childRow.getByTestId('runs-open').click()
  await expect(page.getByTestId('run-lineage')).toContainText(`Resumed from ${first.name} at step ${STEPS}`)
  const charts = page.getByTestId('run-charts')
  await expect(charts).not.toHaveAttribute('data-raw-loss', '[]')
  const [parentPart, ownPart] = JSON.parse((await charts.getAttribute('data-raw-loss'))!) as number[][][]
  expect(parentPart).toEqual(lossPoints(await metrics(first.path)))
  expect(ownPart).toEqual(lossPoints(await metrics(child.path)))
  expect(ownPart[0][0]).toBe(STEPS + 1)
  await shoot(page, 'screenshot-run-page.png')

  // Evaluate (on the run's own validation split unless a folder is chosen), Export (beside the
  // runs, never into one), Reveal.
  const final = page.locator('[data-testid="run-checkpoint"][data-file="final_model.safetensors"]')
  await final.getByTestId('run-checkpoint-evaluate').click()
  const panel = page.getByTestId('evaluate-panel')
  await expect(panel.getByTestId('evaluate-on-validation')).toBeChecked()
  await panel.getByTestId('evaluate-start').click()
  const evaluated = panel.getByTestId('evaluate-result')
  await expect(evaluated).toContainText('On the run’s validation split', { timeout: 30_000 })
  const [, loss, perplexity, tokens] = /loss (\d+\.\d+), perplexity (\d+\.\d+) over ([\d,]+) tokens/.exec((await evaluated.textContent())!)!
  expect(Number(perplexity)).toBeCloseTo(Math.exp(Number(loss)), 0)
  // The oracle: the validation tokens of the child's dataset, scored directly by the engine.
  const model = await openCheckpointModel(join(child.path, 'final_model.safetensors'), { threads: 1 })
  try {
    const validation = (await cachedValidationTokens(child.path, model.trainer.config.seqLen))!
    const direct = await evaluateTokenStreams(model, [validation])
    expect(Number(tokens.replace(/,/g, ''))).toBe(direct.tokens)
    expect(Number(loss)).toBeCloseTo(direct.loss, 3)
  } finally {
    await model.close()
  }
  // Or a folder the user names: another text, scored with the same checkpoint.
  await panel.getByTestId('evaluate-on-folder').check()
  await expect(panel.getByTestId('evaluate-start')).toBeDisabled()
  await panel.getByTestId('evaluate-folder').fill(sampleCorpus)
  await panel.getByTestId('evaluate-start').click()
  await expect(evaluated).toContainText(`On ${sampleCorpus}: loss`, { timeout: 30_000 })
  const result = page.getByTestId('run-action-result')
  const childFiles = await readdir(child.path)
  await final.getByTestId('run-checkpoint-export').click()
  const exportDialog = page.getByTestId('export-dialog')
  await exportDialog.getByTestId('export-hf').check()
  await exportDialog.getByTestId('export-confirm').click()
  await expect(exportDialog.getByTestId('export-result')).toContainText('model.safetensors', { timeout: 30_000 })
  await exportDialog.getByRole('button', { name: 'Close' }).click()
  const outDir = join(studio.checkpointDir, 'exports', `${child.name}-final_model-hf`)
  expect(await readdir(outDir)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json']))
  expect(await readdir(child.path)).toEqual(childFiles)
  await page.getByTestId('run-reveal').click()
  await expect(result).toHaveText(`The folder is ${child.path}`)
  // One checkpoint, too (the browser build has no file manager: it says where the file is).
  await page.locator('[data-testid="run-checkpoint"][data-file="final_model.safetensors"]').getByTestId('run-checkpoint-reveal').click()
  await expect(result).toHaveText(`The file is ${join(child.path, 'final_model.safetensors')}`)
})

test('rename, notes and delete work and survive a reload', async ({ page, studio }) => {
  const all = (await listRunSummaries(studio.checkpointDir)).runs
  const second = (await ours(studio.checkpointDir))[1]
  await openStudio(page, studio)
  await page.getByTestId('nav-checkpoints').click()
  await page.locator(`[data-testid="runs-row"][data-run="${second.name}"]`).getByTestId('runs-open').click()
  await page.getByTestId('run-title-input').fill('Faster learning rate')
  await page.getByTestId('run-title-save').click()
  await page.getByTestId('run-notes-input').fill('lr 0.003: lower loss at 30 steps')
  await page.getByTestId('run-notes-save').click()
  await expect(page.getByTestId('run-saved')).toBeVisible()

  await page.reload()
  await expect(page.getByTestId('totals')).toBeVisible()
  await page.getByTestId('nav-checkpoints').click()
  const row = page.locator(`[data-testid="runs-row"][data-run="${second.name}"]`)
  await expect(row.getByTestId('runs-open')).toHaveText('Faster learning rate')
  await row.getByTestId('runs-open').click()
  await expect(page.getByTestId('run-page-title')).toHaveText('Faster learning rate')
  await expect(page.getByTestId('run-notes-input')).toHaveValue('lr 0.003: lower loss at 30 steps')

  await page.getByTestId('run-delete').click()
  await page.getByTestId('run-delete-confirm').click()
  await expect(page.getByTestId('runs-row')).toHaveCount(all.length - 1)
  await page.reload()
  await expect(page.getByTestId('totals')).toBeVisible()
  await page.getByTestId('nav-checkpoints').click()
  await expect(page.getByTestId('runs-row')).toHaveCount(all.length - 1)
  await expect(page.locator(`[data-testid="runs-row"][data-run="${second.name}"]`)).toHaveCount(0)
  // The browser transport's trash: the folder moved into the checkpoint folder's .trash.
  expect((await readdir(join(studio.checkpointDir, '.trash')))[0]).toContain(second.name)
})
