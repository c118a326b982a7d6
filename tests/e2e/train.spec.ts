/**
 * Training from the UI on the sample corpus with the Tiny model and two spheres: live numbers,
 * charts and spheres, pause/resume/stop, the run's checkpoints, resuming one, and writing with it.
 * The tests run in order on one engine: the later ones use the checkpoints of the first.
 */
import { appendFile, cp, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { listRuns } from '../../src/main/engine/checkpoints'
import {
  generateFromCheckpoint,
  openCheckpointModel,
} from '../../src/main/engine/session/from-checkpoint'
import {
  dataNumber,
  expect,
  expectNoStack,
  openStudio,
  repoRoot,
  screenshotPath,
  sampleCorpus,
  scanFolder,
  test,
  type Studio,
} from './fixtures'

test.describe.configure({ mode: 'serial' })

/**
 * The settings the tests use: Tiny (the default), two spheres, a long run stopped by hand, and
 * checkpoints only when it stops (so the one checkpoint is the stop's).
 */
async function fillTinySettings(page: Page, maxSteps: number): Promise<void> {
  await page.getByTestId('preset-tiny').click()
  await page.getByTestId('field-threads').fill('2')
  await page.getByTestId('field-maxSteps').fill(String(maxSteps))
  await page.getByText('More settings').click()
  await page.getByTestId('field-checkpointInterval').fill('0')
}

const step = (page: Page) => dataNumber(page, 'stat-step')

/**
 * A run that ends only when the test stops it: a million steps of Tiny take well over an hour here,
 * and more than the test's 60 s timeout at any speed a CPU reaches.
 */
const ENDLESS = 1_000_000

/** The training states and reported steps the engine sends to the page, in order, from now on. */
function engineHeard(studio: Studio): { heard: Array<{ state?: string; step: number }>; stop(): void } {
  const heard: Array<{ state?: string; step: number }> = []
  const stop = studio.events.subscribe(({ event, payload }) => {
    if (event === 'training.state') heard.push({ state: payload.state, step: payload.step })
    else if (event === 'training.progress') heard.push({ step: payload.step })
  })
  return { heard, stop }
}

test('before any run, Checkpoints says where runs will be saved and Generate says to train', async ({
  page,
  studio,
}) => {
  await openStudio(page, studio)
  await page.getByTestId('nav-checkpoints').click()
  await expect(page.getByTestId('checkpoints-empty')).toContainText(studio.checkpointDir)
  await page.getByTestId('nav-generate').click()
  await expect(page.getByTestId('generate-empty')).toBeVisible()
})

test('an impossible config names the field and Train stays disabled', async ({ page, studio }) => {
  await openStudio(page, studio)
  await page.getByTestId('nav-train').click()
  await expect(page.getByTestId('train-corpus')).toHaveText(join(repoRoot, 'resources', 'sample-corpus'))
  await expect(page.getByTestId('train-button')).toBeEnabled()
  await expect(page.getByTestId('estimate-parameters')).not.toHaveText('—')

  await page.getByTestId('field-embedDim').fill('64')
  await page.getByTestId('field-numHeads').fill('3')
  const error = page.getByTestId('field-error-numHeads')
  await expect(error).toContainText('Heads')
  // The field labels the user sees, not the config's names.
  await expect(error).toHaveText('Heads: must divide Embedding size (64 is not a multiple of 3)')
  await expect(page.getByTestId('train-button')).toBeDisabled()
  await expect(page.getByTestId('train-blocked')).toContainText('Fix the settings')
  await expect(page.getByTestId('preset-custom')).toHaveAttribute('aria-checked', 'true')

  await page.getByTestId('field-numHeads').fill('4')
  await expect(error).toHaveCount(0)
  await expect(page.getByTestId('train-button')).toBeEnabled()
  await expect(page.getByTestId('preset-tiny')).toHaveAttribute('aria-checked', 'true')
})

test('a run from the UI: live numbers, charts and spheres; pause, resume and stop', async ({
  page,
  studio,
}) => {
  // Hundreds of steps, then pause, reload, resume and stop: generous for a machine whose cores are busy.
  test.setTimeout(180_000)
  await openStudio(page, studio)
  await page.getByTestId('nav-train').click()
  await fillTinySettings(page, ENDLESS)
  await page.getByTestId('train-button').click()

  await expect(page.getByTestId('run-state')).toHaveAttribute('data-state', 'training', {
    timeout: 30_000,
  })
  await expect(page.getByTestId('nav-run-state')).toHaveText('training')
  // Waits for the steps however long they take (no limit of its own: 300 steps took over 20 s with
  // both cores saturated); the test's timeout, raised above, bounds it.
  await expect.poll(() => step(page), { timeout: 0 }).toBeGreaterThan(300)
  // The whole machine beside the spheres: all cores' load and the memory in use.
  await expect(page.getByTestId('machine-cpu')).toHaveText(/^\d+%$/)
  const cpu = await dataNumber(page, 'machine-cpu')
  expect(cpu).toBeGreaterThan(0)
  expect(cpu).toBeLessThanOrEqual(1)
  expect(await dataNumber(page, 'machine-memory')).toBeGreaterThan(0)
  expect(await dataNumber(page, 'stat-step', 'data-total')).toBe(ENDLESS)

  // The charts hold every step the engine reported, and the same latest loss as the figures.
  const snapshot = await page.evaluate(() => {
    // The DOM as far as this script needs it (the Node typecheck has no DOM library).
    const { document } = globalThis as unknown as {
      document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null }
    }
    const get = (id: string, attribute = 'data-value') =>
      document.querySelector(`[data-testid="${id}"]`)?.getAttribute(attribute) ?? ''
    return {
      step: Number(get('stat-step')),
      loss: Number(get('stat-loss')),
      points: Number(get('loss-chart', 'data-points')),
      last: Number(get('loss-chart', 'data-last')),
      speedPoints: Number(get('speed-chart', 'data-points')),
      lrPoints: Number(get('lr-chart', 'data-points')),
    }
  })
  expect(snapshot.points).toBe(snapshot.step)
  expect(snapshot.lrPoints).toBe(snapshot.step)
  expect(snapshot.last).toBe(snapshot.loss)
  expect(snapshot.loss).toBeLessThan(Math.log(500))
  expect(snapshot.speedPoints).toBeGreaterThan(1)
  expect(await dataNumber(page, 'stat-speed')).toBeGreaterThan(0)

  // Two spheres around the coordinator, busy.
  await expect(page.getByTestId('sphere')).toHaveCount(2)
  await expect(page.getByTestId('sphere-bar')).toHaveCount(2)
  await expect(page.getByTestId('sphere-slot')).toHaveCount(10)
  await expect
    .poll(async () => Number(await page.getByTestId('sphere').first().getAttribute('data-utilisation')))
    .toBeGreaterThan(0)
  await page.getByTestId('sphere').nth(1).hover()
  await expect(page.getByTestId('sphere-tip')).toContainText('Sphere 1')

  await page.setViewportSize({ width: 1360, height: 1010 })
  await page.mouse.move(0, 0)
  await page.locator('main').evaluate((main) => main.scrollTo(0, 0))
  await page.screenshot({ path: screenshotPath('screenshot-train.png') })
  await page.setViewportSize({ width: 1280, height: 860 })

  // Pause: the step stops moving. Resume: it moves again. The engine says "paused" at once, at the
  // step it had done; the step then in flight (if any) still finishes and is reported, and no other.
  // Each step below is read after a later event (the reload, the resume), never after a sleep.
  const engine = engineHeard(studio)
  await page.getByTestId('pause-button').click()
  await expect(page.getByTestId('run-state')).toHaveAttribute('data-state', 'paused')
  const paused = engine.heard.findIndex((entry) => entry.state === 'paused')
  const pausedAt = engine.heard[paused].step

  // A page opened again finds the run where it is (training.status), and controls it.
  await page.reload()
  await expect(page.getByTestId('totals')).toBeVisible()
  await expect(page.getByTestId('nav-run-state')).toHaveText('paused')
  await page.getByTestId('nav-train').click()
  await expect(page.getByTestId('run-state')).toHaveAttribute('data-state', 'paused')
  expect([pausedAt, pausedAt + 1]).toContain(await step(page))
  await expect(page.getByTestId('log-entry').first()).toContainText('Attached to the run')

  await page.getByTestId('resume-button').click()
  await expect(page.getByTestId('run-state')).toHaveAttribute('data-state', 'training')
  const resumed = engine.heard.findIndex((entry, index) => index > paused && entry.state === 'training')
  engine.stop()
  expect(resumed).toBeGreaterThan(paused)
  const resumedAt = engine.heard[resumed].step
  expect([pausedAt, pausedAt + 1]).toContain(resumedAt)
  expect(engine.heard.slice(paused + 1, resumed).every((entry) => entry.step <= pausedAt + 1)).toBe(true)
  await expect.poll(() => step(page)).toBeGreaterThan(resumedAt)

  // Stop: a checkpoint is written first, the run ends as stopped, with its final losses.
  await page.getByTestId('stop-button').click()
  await expect(page.getByTestId('run-finished')).toHaveAttribute('data-reason', 'stopped', {
    timeout: 20_000,
  })
  await expect(page.getByTestId('run-state')).toHaveText('Stopped')
  await expect(page.getByTestId('toast').filter({ hasText: 'Checkpoint saved' })).toBeVisible()
  await expect(page.getByTestId('log-entry').filter({ hasText: 'Checkpoint saved' })).toHaveCount(1)
  expect(Number(await page.getByTestId('final-loss').textContent())).toBeGreaterThan(0)
  await expect(page.getByTestId('train-button')).toBeEnabled()
  expectNoStack(await page.locator('main').innerText())
})

test('the checkpoint appears in Checkpoints, and resuming it continues from its step', async ({
  page,
  studio,
}) => {
  const [run] = (await listRuns(studio.checkpointDir)).runs
  const saved = run.checkpoints.find((checkpoint) => checkpoint.status === 'ok')!
  expect(saved.step).toBeGreaterThan(300)
  // A damaged file beside it is listed with the engine's reason, and offers nothing to do.
  await writeFile(join(run.path, 'checkpoint_step_1.safetensors'), 'this is not a checkpoint')
  const problem = (await listRuns(studio.checkpointDir)).runs[0].checkpoints.find(
    (checkpoint) => checkpoint.file === 'checkpoint_step_1.safetensors',
  )!.problem!

  await openStudio(page, studio)
  await page.getByTestId('nav-checkpoints').click()
  await expect(page.getByTestId('checkpoint-dir')).toHaveText(studio.checkpointDir)
  const card = page.getByTestId('run-card')
  await expect(card).toHaveCount(1)
  await expect(card.getByTestId('run-name')).toHaveText(run.name)
  const row = card.locator(`[data-testid="checkpoint-row"][data-file="${saved.file}"]`)
  await expect(row).toHaveAttribute('data-step', String(saved.step))
  await expect(row.getByTestId('best-badge')).toBeVisible()
  const damaged = card.locator('[data-testid="checkpoint-row"][data-status="corrupt"]')
  await expect(damaged.getByTestId('corrupt-reason')).toHaveText(problem)
  await expect(damaged.getByTestId('checkpoint-resume')).toHaveCount(0)
  // Verify reads the whole file (tensor hash, weights) and says so on its button.
  await row.getByTestId('checkpoint-verify').click()
  await expect(row.getByTestId('checkpoint-verify')).toHaveText('Verified')

  await row.getByTestId('checkpoint-resume').click()
  const dialog = page.getByTestId('resume-dialog')
  await expect(dialog).toBeVisible()
  // The run's own folder, which is also the Data folder: one corpus, nothing else to choose.
  await expect(dialog.getByTestId('resume-folder-run')).toBeChecked()
  await expect(dialog.getByTestId('resume-folder-data')).toHaveCount(0)
  await dialog.getByTestId('resume-max-steps').fill(String(saved.step! + 30))
  await dialog.getByTestId('resume-confirm').click()

  // The Train view shows the resumed run: it starts at the checkpoint's step and trains 30 more.
  await expect(page.getByTestId('resumed-step')).toHaveText(String(saved.step), { timeout: 30_000 })
  await expect(page.getByTestId('run-finished')).toHaveAttribute('data-reason', 'completed', {
    timeout: 30_000,
  })
  expect(await step(page)).toBe(saved.step! + 30)
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-points', '30')
  await expect(page.getByTestId('run-sample')).not.toBeEmpty()
})

test('generating from a checkpoint streams text, and Stop ends it', async ({ page, studio }) => {
  await openStudio(page, studio)
  await page.getByTestId('nav-checkpoints').click()
  const final = page.locator('[data-testid="checkpoint-row"][data-file="final_model.safetensors"]')
  await expect(final).toBeVisible()
  await page.mouse.move(0, 0)
  await page.screenshot({ path: screenshotPath('screenshot-checkpoints.png') })
  await final.getByTestId('checkpoint-generate').click()
  await expect(page.getByTestId('nav-generate')).toHaveAttribute('aria-current', 'page')
  // The final model is the resumed run's: resuming wrote a new run folder beside the first.
  const path = (await listRuns(studio.checkpointDir)).runs
    .flatMap((run) => run.checkpoints)
    .find((checkpoint) => checkpoint.kind === 'final')!.path
  await expect(page.getByTestId('generate-checkpoint')).toHaveValue(path)

  // The engine's own generation with the same settings is the expected text (seeded, so exact).
  const model = await openCheckpointModel(path)
  // Generate's defaults are the contract's, as in `cllm generate`: top-k 0 (all), top-p 1.
  const settings = { prompt: 'The old fox', maxTokens: 300, temperature: 0.8, topK: 0, topP: 1 }
  await expect(page.getByTestId('generate-top-k')).toHaveValue('0')
  await expect(page.getByTestId('generate-top-p')).toHaveValue('1')
  await expect(page.getByTestId('generate-max-tokens')).toHaveValue('100')
  /** A seed whose text runs all 300 tokens, so a longer request is still going when stopped. */
  let longSeed = -1
  let direct: Awaited<ReturnType<typeof generateFromCheckpoint>> | undefined
  try {
    for (let seed = 1; seed < 40 && longSeed < 0; seed++) {
      direct = await generateFromCheckpoint(model, { ...settings, seed })
      if (direct.tokens.length === settings.maxTokens) longSeed = seed
    }
  } finally {
    await model.close()
  }
  expect(longSeed).toBeGreaterThan(0)

  await page.getByTestId('generate-prompt').fill(settings.prompt)
  await page.getByTestId('generate-max-tokens').fill(String(settings.maxTokens))
  await page.getByTestId('generate-seed').fill(String(longSeed))
  await page.getByTestId('generate-button').click()
  const output = page.getByTestId('generate-output')
  await expect(output).toHaveAttribute('data-status', 'done', { timeout: 30_000 })
  expect(Number(await output.getAttribute('data-chunks'))).toBeGreaterThan(1)
  expect(await page.getByTestId('generate-text').textContent()).toBe(direct!.text)
  await expect(page.getByTestId('generate-stats')).toContainText('300 tokens')
  await page.mouse.move(0, 0)
  await page.screenshot({ path: screenshotPath('screenshot-generate.png') })

  // A long request, stopped once text arrives: what was written is kept, and it is the same text.
  // It must not be able to end by itself. Greedy (temperature 0), the next token depends only on the
  // last seqLen tokens (spheres/pool.ts), so once such a window repeats the text cycles for ever; a
  // cycle with no end-of-text in it means 100,000 tokens, which only Stop ends on any machine.
  const endless = await endlessGreedyPrompt(path)
  await page.getByTestId('generate-prompt').fill(endless.prompt)
  await page.getByTestId('generate-temperature').fill('0')
  await page.getByTestId('generate-max-tokens').fill('100000')
  // Generate, then Stop as soon as three pieces have arrived, inside the page: a Playwright
  // round trip per check could arrive after a fast machine has written everything.
  const pressedStop = await page.evaluate(
    () =>
      new Promise<boolean>((resolve) => {
        // The DOM as far as this script needs it (the Node typecheck has no DOM library).
        type Node = { click(): void; getAttribute(name: string): string | null }
        const browser = globalThis as unknown as {
          document: { body: object; querySelector(selector: string): Node | null }
          MutationObserver: new (callback: () => void) => {
            observe(target: object, options: object): void
            disconnect(): void
          }
        }
        const { document } = browser
        const observer = new browser.MutationObserver(() => {
          const out = document.querySelector('[data-testid="generate-output"]')
          if (Number(out?.getAttribute('data-chunks')) < 3) return
          observer.disconnect()
          document.querySelector('[data-testid="generate-stop"]')?.click()
          resolve(true)
        })
        observer.observe(document.body, { subtree: true, attributes: true, childList: true })
        document.querySelector('[data-testid="generate-button"]')?.click()
      }),
  )
  expect(pressedStop).toBe(true)
  await expect(page.getByTestId('generate-stopped')).toBeVisible()
  await expect(page.getByTestId('generate-button')).toBeEnabled({ timeout: 10_000 })
  const stopped = (await page.getByTestId('generate-text').textContent()) ?? ''
  expect(stopped.length).toBeGreaterThan(0)
  // The greedy text is known as far as the engine wrote it; the stopped text agrees with it.
  const known = endless.text
  expect(stopped.startsWith(known) || known.startsWith(stopped)).toBe(true)
})

/**
 * A prompt whose greedy continuation never ends, found with the engine's own generation: one whose
 * first tokens contain no end-of-text and repeat a whole window (seqLen tokens, each computed from
 * a full window), so every later token repeats that cycle. Returns the prompt and the text written.
 */
async function endlessGreedyPrompt(checkpoint: string): Promise<{ prompt: string; text: string }> {
  const model = await openCheckpointModel(checkpoint)
  try {
    const seqLen = (model.checkpoint.metadata.config as { model: { seqLen: number } }).model.seqLen
    for (const prompt of ['The old fox', 'The', 'Once', 'A', 'In the', 'It was']) {
      const greedy = await generateFromCheckpoint(model, { prompt, maxTokens: 3000, temperature: 0, topK: 0, topP: 1 })
      if (greedy.stoppedAtEndOfText) continue
      const context = [...model.tokenizer.encode(prompt), ...greedy.tokens]
      const windows = new Set<string>()
      for (let end = seqLen + 1; end <= context.length; end++) {
        const window = context.slice(end - seqLen, end).join(',')
        if (windows.has(window)) return { prompt, text: greedy.text }
        windows.add(window)
      }
    }
  } finally {
    await model.close()
  }
  throw new Error('No prompt tried has a greedy continuation that cycles without end-of-text.')
}

test('resuming on a changed corpus fails with a clear message, and can go on anyway', async ({
  page,
  studio,
}) => {
  const changed = join(studio.tmp, 'changed-corpus')
  await cp(sampleCorpus, changed, { recursive: true })
  await appendFile(join(changed, 'README.md'), '\nA line added after training.\n')
  const final = (await listRuns(studio.checkpointDir)).runs
    .flatMap((run) => run.checkpoints)
    .find((checkpoint) => checkpoint.kind === 'final')!

  await openStudio(page, studio)
  await scanFolder(page, changed)
  await expect(page.getByTestId('summary-root')).toHaveText(changed)
  await page.getByTestId('nav-checkpoints').click()
  const row = page.locator('[data-testid="checkpoint-row"][data-file="final_model.safetensors"]')
  await row.getByTestId('checkpoint-resume').click()
  const dialog = page.getByTestId('resume-dialog')
  // The folder the run was trained on is chosen; the Data folder is another corpus, with what differs.
  await expect(dialog.getByTestId('resume-folder-run')).toBeChecked()
  await expect(dialog.getByTestId('resume-data-difference')).toContainText('Another folder')
  await dialog.getByTestId('resume-folder-data').check()
  await dialog.getByTestId('resume-max-steps').fill(String(final.step! + 10))
  await dialog.getByTestId('resume-confirm').click()

  const failed = page.getByTestId('run-failed')
  await expect(failed).toBeVisible({ timeout: 30_000 })
  const message = (await page.getByTestId('run-failed-message').textContent()) ?? ''
  expect(message).toContain(changed)
  expect(message).toContain('is not the one checkpoint')
  // The CLI's advice (--force) is the button here.
  expect(message).not.toContain('--force')
  expectNoStack(await page.locator('main').innerText())
  await expect(page.getByTestId('run-state')).toHaveAttribute('data-state', 'failed')

  await page.getByTestId('force-resume').click()
  await expect(page.getByTestId('run-finished')).toHaveAttribute('data-reason', 'completed', {
    timeout: 30_000,
  })
  await expect(page.getByTestId('resumed-step')).toHaveText(String(final.step))
  await expect(page.getByTestId('run-warnings')).toContainText(changed)
  expect(await step(page)).toBe(final.step! + 10)
})

test('resuming while Data holds another folder trains on the run’s own folder, and the corpus bar says so', async ({
  page,
  studio,
}) => {
  const other = join(studio.tmp, 'other-corpus')
  await mkdir(other, { recursive: true })
  await writeFile(join(other, 'a.txt'), 'Another text, not the one the run learned.\n'.repeat(50))
  const run = (await listRuns(studio.checkpointDir)).runs.find((entry) => (entry.info as { corpusFolder?: string } | null)?.corpusFolder === sampleCorpus)!
  const checkpoint = run.checkpoints.find((entry) => entry.status === 'ok')!
  const trainedOn = (run.info as { corpus?: { files: number; bytes: number } }).corpus!

  await openStudio(page, studio)
  await scanFolder(page, other)
  await expect(page.getByTestId('summary-root')).toHaveText(other)
  await page.getByTestId('nav-checkpoints').click()
  await page.locator(`[data-testid="checkpoint-row"][data-file="${checkpoint.file}"]`).first().getByTestId('checkpoint-resume').click()
  const dialog = page.getByTestId('resume-dialog')
  await expect(dialog.getByTestId('resume-folder-run')).toBeChecked()
  await expect(dialog.getByTestId('resume-data-difference')).toHaveText(/Another folder, 1 file instead of [\d,]+ \(−[\d,]+\)/)
  // A run that cannot end by itself: the test stops it.
  await dialog.getByTestId('resume-max-steps').fill(String(checkpoint.step! + 1_000_000))
  await dialog.getByTestId('resume-confirm').click()
  await expect(page.getByTestId('run-state')).toHaveAttribute('data-state', 'training', { timeout: 30_000 })
  await expect(page.getByTestId('train-corpus')).toHaveText(sampleCorpus)
  await expect(page.getByTestId('train-corpus-size')).toHaveAttribute('data-files', String(trainedOn.files))
  await expect(page.getByTestId('train-corpus-size')).toHaveAttribute('data-bytes', String(trainedOn.bytes))
  await expect(page.getByTestId('train-next-corpus')).toHaveText(`Add to queue uses ${other}`)
  await page.getByTestId('stop-button').click()
  await expect(page.getByTestId('run-finished')).toHaveAttribute('data-reason', 'stopped', { timeout: 30_000 })
})
