/**
 * What a desktop user checks first, in the browser build: the dark theme on every view (charts
 * included), no failed request on load, shortcuts, a dropped folder, the allowed folders named,
 * and the rough edges of a first run (memory limit explained, toasts clear of the Log, the
 * finished sample, the checkpoint menu naming the run).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateFromCheckpoint, openCheckpointModel } from '../../src/main/engine/session/from-checkpoint'
import { expect, leaveCheckpointFolderAsFound, openStudio, repoRoot, scanFolder, screenshotPath, test } from './fixtures'

test.describe.configure({ mode: 'serial' })
leaveCheckpointFolderAsFound()

/** The theme's colours as the page computes them (the Node typecheck has no DOM library). */
function themeColours() {
  const { document, getComputedStyle } = globalThis as unknown as {
    document: { body: object; documentElement: object }
    getComputedStyle(element: object): { backgroundColor: string; getPropertyValue(name: string): string }
  }
  return {
    body: getComputedStyle(document.body).backgroundColor,
    accent: getComputedStyle(document.documentElement).getPropertyValue('--accent').trim(),
  }
}

test('loads with no failed request (a favicon, no /favicon.ico 404)', async ({ page, studio }) => {
  const failed: string[] = []
  page.on('response', (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${new URL(response.url()).pathname}`)
  })
  await openStudio(page, studio)
  await expect(page.locator('link[rel="icon"]')).toHaveAttribute('href', './favicon.svg')
  await page.waitForLoadState('networkidle')
  expect(failed).toEqual([])
})

test('the browser build names the folders it may read, and a dropped folder is proposed inside them', async ({ page, studio }) => {
  await openStudio(page, studio)
  await expect(page.getByTestId('folder-roots')).toContainText(repoRoot)
  await expect(page.getByTestId('folder-roots')).toContainText(studio.tmp)
  const notes = join(repoRoot, 'resources', 'sample-corpus')

  // A folder dropped from the file manager: the browser gives its name only.
  await page.evaluate(() => {
    const { document, DataTransfer, DragEvent, File } = globalThis as unknown as {
      document: { querySelector(selector: string): { dispatchEvent(event: unknown): boolean } }
      DataTransfer: new () => { items: { add(file: unknown): void } }
      DragEvent: new (type: string, init: object) => unknown
      File: new (parts: string[], name: string) => unknown
    }
    const transfer = new DataTransfer()
    transfer.items.add(new File([''], 'resources'))
    const bar = document.querySelector('[data-testid="folder-bar"]')
    bar.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }))
    bar.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }))
  })
  await expect(page.getByTestId('folder-drop-note')).toContainText('“resources” dropped')
  await expect(page.getByTestId('folder-input')).toHaveValue(join(repoRoot, 'resources'))
  await expect(page.getByTestId('folder-input')).toBeFocused()
  // The user completes the path and scans it.
  await scanFolder(page, notes)
  await expect(page.getByTestId('totals')).toBeVisible()

  // A folder outside them is refused with the allowed folders named, not "use the folder picker".
  await scanFolder(page, '/usr')
  const message = page.getByTestId('error-message')
  await expect(message).toContainText(studio.tmp)
  await expect(message).not.toContainText('picker')
})

test('dark theme on every view, charts included; shortcuts switch views; a first run’s rough edges', async ({ page, studio }) => {
  await page.emulateMedia({ colorScheme: 'dark' })
  const corpus = join(studio.tmp, 'dark-corpus')
  await mkdir(corpus, { recursive: true })
  await writeFile(join(corpus, 'fox.txt'), 'The quick brown fox jumps over the lazy dog.\n'.repeat(400))
  // The page's clock is the test's: it runs as usual, and stands still while the toasts are checked.
  await page.clock.install()
  await openStudio(page, studio)
  expect(await page.evaluate(themeColours)).toEqual({ body: 'rgb(15, 17, 21)', accent: '#8c95f7' })
  await scanFolder(page, corpus)
  await expect(page.getByTestId('totals')).toBeVisible()
  await page.screenshot({ path: screenshotPath('screenshot-dark-data.png') })

  // Ctrl+2: the Train view (the menu's shortcut, as a key in the browser build).
  await page.keyboard.press('Control+2')
  await expect(page.getByTestId('nav-train')).toHaveAttribute('aria-current', 'page')
  // The memory limit says why it is what it is.
  await expect(page.getByTestId('memory-limit-reason')).toHaveText(/WebAssembly memory|of this machine’s/)

  await page.getByTestId('preset-tiny').click()
  await page.getByTestId('field-threads').fill('2')
  await page.getByTestId('field-maxSteps').fill('40')
  // The time is measured on this machine for these settings, and given in minutes.
  await page.getByTestId('measure-time').click()
  await expect(page.getByTestId('estimate-time')).toHaveText(/^(< 1|≈ \d+) min for 40 steps$/, { timeout: 30_000 })
  expect(Number(await page.getByTestId('estimate-time').getAttribute('data-ms-per-step'))).toBeGreaterThan(0)
  await page.getByTestId('field-maxSteps').fill('400000')
  await expect(page.getByTestId('estimate-time')).toHaveText(/^≈ [\d,]+ min for 400,000 steps$/)
  await page.getByTestId('field-maxSteps').fill('40')
  await page.getByText('More settings').click()
  await page.getByTestId('field-checkpointInterval').fill('20')
  // A toast goes 4 s after it shows, by the page's clock: stopped here, the run's toasts stay on
  // screen until the check below, however long the run and the checks take.
  // (Paused an hour ahead of the page's time: a target already past, on a slow machine, is refused.)
  await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 3_600_000)
  await page.keyboard.press('Control+Enter')
  await expect(page.getByTestId('run-finished')).toBeVisible({ timeout: 60_000 })

  // The charts take the dark theme's colours: the loss line is drawn in the dark accent.
  const swatch = await page.getByTestId('loss-chart').locator('[style*="--swatch"]').first().evaluate((element) => {
    const { getComputedStyle } = globalThis as unknown as { getComputedStyle(e: object): { getPropertyValue(n: string): string } }
    return getComputedStyle(element).getPropertyValue('--swatch').trim()
  })
  expect(swatch).toBe('#8c95f7')
  // The finished sample starts with text, not blank lines.
  const sample = (await page.getByTestId('run-sample').textContent()) ?? ''
  expect(sample).not.toMatch(/^\s*\n/)
  // Toasts never cover the Log.
  const toast = await page.getByTestId('toast').first().boundingBox()
  const log = await page.getByTestId('run-log').boundingBox()
  expect(toast && log).toBeTruthy()
  const overlaps = toast!.x < log!.x + log!.width && log!.x < toast!.x + toast!.width && toast!.y < log!.y + log!.height && log!.y < toast!.y + toast!.height
  expect(overlaps).toBe(false)
  await page.clock.resume()
  await page.mouse.move(0, 0)
  await page.screenshot({ path: screenshotPath('screenshot-dark-train.png') })

  await page.keyboard.press('Control+3')
  await expect(page.getByTestId('nav-checkpoints')).toHaveAttribute('aria-current', 'page')
  await page.screenshot({ path: screenshotPath('screenshot-dark-checkpoints.png') })

  await page.keyboard.press('Control+4')
  await expect(page.getByTestId('nav-generate')).toHaveAttribute('aria-current', 'page')
  // Each checkpoint in the menu names its run.
  const options = await page.getByTestId('generate-checkpoint').locator('option').allTextContents()
  expect(options.length).toBeGreaterThan(0)
  for (const option of options) expect(option.trim()).toMatch(/^\S+ — (final, )?step \d+/)

  // Side by side: the same prompt and seed from the final model and the step-20 checkpoint, each
  // exactly the text the engine writes from that file.
  // The list loads after the view opens: wait for a checkpoint to be chosen before reading it.
  await expect(page.getByTestId('generate-checkpoint')).toHaveValue(/\.safetensors$/)
  const final = await page.getByTestId('generate-checkpoint').inputValue()
  // Vue sets an option's value as a property, not an attribute.
  const step20 = await page
    .getByTestId('generate-compare')
    .locator('option', { hasText: '— step 20 ' })
    .evaluate((option) => (option as unknown as { value: string }).value)
  expect(step20).toMatch(/checkpoint_step_20\.safetensors$/)
  await page.getByTestId('generate-compare').selectOption(step20)
  const settings = { prompt: 'The quick', maxTokens: 24, temperature: 0.8, topK: 0, topP: 1, seed: 42 }
  await page.getByTestId('generate-prompt').fill(settings.prompt)
  await page.getByTestId('generate-max-tokens').fill(String(settings.maxTokens))
  await page.getByTestId('generate-button').click()
  await expect(page.getByTestId('compare-output')).toHaveAttribute('data-status', 'done', { timeout: 30_000 })
  await expect(page.getByTestId('compare-title')).toContainText('step 20')
  for (const [path, testId] of [[final, 'generate-text'], [step20, 'compare-text']] as const) {
    const model = await openCheckpointModel(path)
    try {
      const direct = await generateFromCheckpoint(model, settings)
      // The two outputs stream on their own: wait until each has become the engine's text (exactly).
      await expect.poll(() => page.getByTestId(testId).textContent()).toBe(direct.text)
    } finally {
      await model.close()
    }
  }
  await page.screenshot({ path: screenshotPath('screenshot-dark-generate.png') })
  expect(await page.evaluate(themeColours)).toEqual({ body: 'rgb(15, 17, 21)', accent: '#8c95f7' })
})
