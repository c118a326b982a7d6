/**
 * Training elsewhere, in the browser build against the real engine: "Train elsewhere…" writes a job
 * folder from a run's checkpoint and from the Train form's settings (with the README's commands
 * shown), and "Import a run…" brings back a run folder trained elsewhere — refusing one with a link
 * in it, copying nothing — after which the run is listed as imported and its page and Compare show
 * the hand-off (a marker at the step, the part trained elsewhere dashed and labelled).
 *
 * The run "from elsewhere" is made by the studio itself in the test worker: a run stopped at step 4,
 * continued in a folder outside the checkpoint folder, its run.json rewritten as a job's train.py
 * writes it (no path of the other machine; `job` says where it ran).
 */
import { existsSync } from 'node:fs'
import { cp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { createSession } from '../../src/main/engine/session'
import type { RunConfigInput } from '../../src/shared/training'
import { expect, leaveCheckpointFolderAsFound, openStudio, sampleCorpus, screenshotPath, test } from './fixtures'

// Two short runs are trained before the first test and one is prepared in the last: room for a busy machine.
test.describe.configure({ mode: 'serial', timeout: 120_000 })

const ours = leaveCheckpointFolderAsFound()
const N = 4
let parentName: string
let jobRun: string

function config(checkpointDir: string, runName?: string): RunConfigInput {
  return {
    model: { vocabSize: 300, embedDim: 16, numLayers: 1, numHeads: 2, seqLen: 16 },
    training: { tokenizer: 'bpe', threads: 1, maxSteps: 2 * N, evalInterval: N, checkpointInterval: N, batchSize: 2 },
    paths: { checkpointDir, ...(runName ? { runName } : {}) },
  }
}

test.beforeAll(async ({ studio }, testInfo) => {
  testInfo.setTimeout(180_000)
  const stopped = await (await createSession({ folder: sampleCorpus, sample: false, config: config(studio.checkpointDir), stopAtStep: N })).run()
  expect(stopped.reason, stopped.message).toBe('stopped')
  parentName = basename(dirname(stopped.checkpoint!))
  const child = await (await createSession({ folder: sampleCorpus, sample: false, resume: stopped.checkpoint!, config: { paths: { checkpointDir: join(studio.tmp, 'gpu-box') } } })).run()
  expect(child.reason, child.message).toBe('completed')
  jobRun = child.runDir!
  const info = JSON.parse(await readFile(join(jobRun, 'run.json'), 'utf8')) as Record<string, unknown>
  const parent = info.parent as { checkpoint: string }
  info.parent = { ...parent, runDir: null, checkpoint: basename(parent.checkpoint) }
  delete info.corpusFolder
  info.job = { worldSize: 8, device: 'cuda', torch: '2.4.0', host: 'gpu-node-7' }
  await writeFile(join(jobRun, 'run.json'), JSON.stringify(info, null, 2))
})
test.afterAll(async ({ studio }) => {
  await rm(join(studio.checkpointDir, 'jobs'), { recursive: true, force: true })
  await rm(join(studio.checkpointDir, '.import'), { recursive: true, force: true })
})

test('Import a run… refuses a folder with a link (nothing copied), then imports the run and shows the hand-off', async ({ page, studio }) => {
  const linked = join(studio.tmp, 'linked', basename(jobRun))
  await mkdir(dirname(linked), { recursive: true })
  await cp(jobRun, linked, { recursive: true })
  await symlink('/etc/hostname', join(linked, 'notes.json'))
  const before = (await readdir(studio.checkpointDir)).sort()

  await openStudio(page, studio)
  await page.getByTestId('nav-checkpoints').click()
  await page.getByTestId('import-run').click()
  const dialog = page.getByTestId('import-dialog')
  await dialog.getByTestId('import-folder-input').fill(linked)
  await dialog.getByTestId('import-confirm').click()
  await expect(dialog.getByTestId('error-box')).toContainText('notes.json is a symbolic link')
  await expect(dialog.getByTestId('error-box')).toContainText('Nothing was copied')
  expect((await readdir(studio.checkpointDir)).sort()).toEqual(before)

  await dialog.getByTestId('import-folder-input').fill(jobRun)
  await dialog.getByTestId('import-confirm').click()
  await expect(dialog.getByTestId('import-result')).toContainText(`Imported as ${basename(jobRun)}`)
  await expect(dialog.getByTestId('import-result')).toContainText('trained elsewhere (8 × cuda on gpu-node-7)')
  await dialog.getByTestId('import-close').click()

  // Closing opens the imported run's page: where it was trained, and the hand-off on its charts.
  const imported = (await ours(studio.checkpointDir)).find((run) => run.imported)!
  expect(imported.parent?.runDir).toBe(join(studio.checkpointDir, parentName))
  await expect(page.getByTestId('run-page')).toHaveAttribute('data-run', imported.name)
  await expect(page.getByTestId('run-imported')).toContainText('Trained elsewhere (8 × cuda on gpu-node-7)')
  const chart = page.getByTestId('run-chart-loss')
  await expect(chart).toHaveAttribute('data-markers', JSON.stringify([{ x: N, label: `hand-off at step ${N}` }]))
  const labels = (JSON.parse((await chart.getAttribute('data-series'))!) as Array<{ label: string }>).map((s) => s.label)
  expect(labels).toEqual([`${parentName} (parent)`, 'Trained elsewhere (8 × cuda on gpu-node-7)'])

  await page.mouse.move(0, 0)
  await page.screenshot({ path: screenshotPath('screenshot-imported-run.png'), fullPage: true })

  // In the list it says imported; in Compare with its parent: the parent here, the child's part elsewhere.
  await page.getByTestId('run-back').click()
  await expect(page.locator(`[data-testid="runs-row"][data-run="${imported.name}"]`).getByTestId('runs-imported')).toBeVisible()
  for (const name of [parentName, imported.name]) await page.locator(`[data-testid="runs-row"][data-run="${name}"]`).getByTestId('runs-pick').check()
  await page.getByTestId('runs-compare').click()
  const compare = page.getByTestId('compare-chart-loss')
  // The histories load after Compare opens: wait for both runs' lines, then read them.
  const drawnNow = async () => JSON.parse((await compare.getAttribute('data-series')) ?? '[]') as Array<{ label: string; points: number[][] }>
  await expect.poll(async () => (await drawnNow()).map((s) => s.label)).toEqual([parentName, imported.name, `${imported.name} — trained elsewhere (8 × cuda on gpu-node-7)`])
  const drawn = await drawnNow()
  expect(drawn[2].points[0][0]).toBe(N)
  expect(drawn[2].points.at(-1)![0]).toBe(2 * N)
  await expect(compare).toHaveAttribute('data-markers', new RegExp(`hand-off at step ${N}`))
  await page.mouse.move(0, 0)
  await page.screenshot({ path: screenshotPath('screenshot-handoff.png'), fullPage: true })
})

test('Train elsewhere… on a run’s checkpoint writes the job under jobs/ and shows its commands', async ({ page, studio }) => {
  await openStudio(page, studio)
  await page.getByTestId('nav-checkpoints').click()
  await page.locator(`[data-testid="runs-row"][data-run="${parentName}"]`).getByTestId('runs-open').click()
  await page.locator(`[data-testid="run-checkpoint"][data-file="checkpoint_step_${N}.safetensors"]`).getByTestId('run-checkpoint-elsewhere').click()
  const dialog = page.getByTestId('elsewhere-dialog')
  await dialog.getByTestId('elsewhere-confirm').click()
  await expect(dialog.getByTestId('elsewhere-result')).toBeVisible({ timeout: 30_000 })
  const outDir = (await dialog.getByTestId('elsewhere-dir').textContent())!
  expect(dirname(outDir)).toBe(join(studio.checkpointDir, 'jobs'))
  expect(await readdir(outDir)).toEqual(expect.arrayContaining(['train.py', 'README.md', 'job.json', 'start.safetensors']))
  const gpus = dialog.locator('[data-testid="elsewhere-commands"][data-title="Several GPUs on one machine"]')
  await expect(gpus).toContainText('torchrun --standalone --nproc_per_node')
  await expect(dialog.locator('[data-testid="elsewhere-commands"][data-title="Slurm"]')).toContainText('srun torchrun')
  await expect(dialog.getByTestId('elsewhere-import-hint')).toContainText(`cllm runs import "${outDir}/runs/${parentName}-from-${N}"`)
})

test('Train elsewhere… beside Train prepares the run from the form and writes the job into a chosen folder', async ({ page, studio }) => {
  await openStudio(page, studio)
  await page.getByTestId('nav-train').click()
  if (!(await page.getByTestId('preset-tiny').isVisible())) await page.getByTestId('settings-toggle').click()
  await page.getByTestId('preset-tiny').click()
  // GPT-2 named: the job prepared here is the same small GPT-2 run whatever the default family.
  await page.getByTestId('field-architecture').selectOption('gpt2')
  await page.getByTestId('field-maxSteps').fill('50')
  const before = (await ours(studio.checkpointDir)).length
  await page.getByTestId('train-elsewhere-button').click()
  const dialog = page.getByTestId('elsewhere-dialog')
  const chosen = join(studio.tmp, 'jobs-chosen')
  await dialog.getByTestId('elsewhere-out-input').fill(chosen)
  await dialog.getByTestId('elsewhere-confirm').click()
  await expect(dialog.getByTestId('elsewhere-result')).toBeVisible({ timeout: 60_000 })
  const outDir = (await dialog.getByTestId('elsewhere-dir').textContent())!
  expect(dirname(outDir)).toBe(chosen)
  const job = JSON.parse(await readFile(join(outDir, 'job.json'), 'utf8')) as { parent: { step: number; runName: string } }
  expect(job.parent.step).toBe(0)
  // The run it continues was prepared here, stopped at step 0, and is listed with the runs.
  const runs = await ours(studio.checkpointDir)
  expect(runs.length).toBe(before + 1)
  const prepared = runs.find((run) => run.name === job.parent.runName)!
  expect(existsSync(join(prepared.path, 'checkpoint_step_0.safetensors'))).toBe(true)
  await expect(dialog.locator('[data-testid="elsewhere-commands"][data-title="CPU only, several processes"]')).toContainText('--device cpu')
})
