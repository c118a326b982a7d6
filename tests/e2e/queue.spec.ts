/**
 * The training queue from the Train view, with the real engine: two tiny runs added one after the
 * other go waiting → running → stopped / done in the Queue panel, never two at once, each with a
 * link to its page, and both are listed in the Runs view. The first run is too long to end by
 * itself while the test looks: the test stops it, so how fast the machine trains decides nothing.
 */
import type { Page } from '@playwright/test'
import { expect, fillTinySettings, leaveCheckpointFolderAsFound, openStudio, screenshotPath, test } from './fixtures'

test.describe.configure({ mode: 'serial' })

const ours = leaveCheckpointFolderAsFound()

/** Every status each queue row has shown, in order, as the page rendered them (no poll can miss one). */
async function recordQueueStatuses(page: Page): Promise<void> {
  await page.evaluate(() => {
    // The DOM as far as this script needs it (the Node typecheck has no DOM library).
    type Row = { getAttribute(name: string): string | null }
    const page = globalThis as unknown as {
      document: { body: unknown; querySelectorAll(selector: string): Iterable<Row> }
      MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void }
      queueStatuses: Record<string, string[]>
    }
    const seen: Record<string, string[]> = {}
    page.queueStatuses = seen
    new page.MutationObserver(() => {
      for (const row of page.document.querySelectorAll('[data-testid="queue-item"]')) {
        const list = (seen[row.getAttribute('data-id') ?? ''] ??= [])
        const status = row.getAttribute('data-status') ?? ''
        if (list.at(-1) !== status) list.push(status)
      }
    }).observe(page.document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] })
  })
}

/**
 * A run that ends only when the test stops it: a million steps of this tiny model take about 20 min
 * here (830 steps a second), and more than the test's 60 s timeout at any speed a CPU reaches.
 */
const ENDLESS = 1_000_000

test('two runs queued from the Train view train one after another and both are in Runs', async ({ page, studio }) => {
  await openStudio(page, studio)
  await page.getByTestId('nav-train').click()
  await recordQueueStatuses(page)
  const rows = page.getByTestId('queue-item')
  // The same checks as Train: an impossible config cannot be queued either.
  await fillTinySettings(page, '0.001', 1500)
  await page.getByTestId('field-numHeads').fill('3')
  await expect(page.getByTestId('queue-add-button')).toBeDisabled()
  await expect(page.getByTestId('train-button')).toBeDisabled()

  // Nothing trains: the first run starts at once. The test holds it before its first step (a pause
  // the engine takes while the run prepares, which the page cannot ask for yet): it cannot end by
  // itself, and the page stays quiet (no live figures) while the next run is set up. Stop ends it.
  // (Asked when the queue names the run's id: the run has started and is still preparing.)
  const hold = studio.events.subscribe(({ event, payload }) => {
    const runId = event === 'queue.changed' ? payload.items[0]?.runId : undefined
    if (runId === undefined) return
    hold()
    void studio.engine.dispatch('training.pause', { runId }, { transport: 'test' })
  })
  await fillTinySettings(page, '0.001', ENDLESS)
  await page.getByTestId('queue-add-button').click()
  await expect(rows).toHaveCount(1)
  await expect(rows.nth(0)).toHaveAttribute('data-status', 'running')
  await expect(page.getByTestId('run-state')).toHaveAttribute('data-state', 'paused')

  await fillTinySettings(page, '0.003', 200)
  await page.getByTestId('queue-add-button').click()
  await expect(rows).toHaveCount(2)
  await expect(rows.nth(1)).toHaveAttribute('data-status', 'waiting')
  await expect(page.getByTestId('queue-waiting')).toHaveText('1 waiting')
  await expect(rows.nth(0).getByTestId('queue-item-config')).toHaveText('Custom 32d · 1 layer · 1,000,000 steps · lr 0.001')
  await expect(rows.nth(1).getByTestId('queue-item-config')).toHaveText('Custom 32d · 1 layer · 200 steps · lr 0.003')
  await expect(rows.nth(1).getByTestId('queue-item-folder')).toHaveText('sample-corpus')
  await page.screenshot({ path: screenshotPath('screenshot-queue.png'), fullPage: true })
  // Only a run that is not training can be removed.
  await expect(rows.nth(0).getByTestId('queue-item-remove')).toHaveCount(0)
  await expect(rows.nth(1).getByTestId('queue-item-remove')).toBeVisible()

  // The second still waits: nothing ends the first but Stop.
  await expect(rows.nth(0)).toHaveAttribute('data-status', 'running')
  await expect(rows.nth(1)).toHaveAttribute('data-status', 'waiting')
  await page.getByTestId('stop-button').click()
  await expect(rows.nth(0)).toHaveAttribute('data-status', 'stopped', { timeout: 60_000 })
  await expect(rows.nth(1)).toHaveAttribute('data-status', 'done', { timeout: 60_000 })
  await expect(page.getByTestId('queue-waiting')).toHaveText('Nothing waiting')
  const ids = await rows.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-id') ?? ''))
  const statuses = await page.evaluate(() => (globalThis as unknown as { queueStatuses: Record<string, string[]> }).queueStatuses)
  // The first may show "waiting" for the instant before it starts; the second waited its turn.
  expect(statuses[ids[0]].filter((status) => status !== 'waiting')).toEqual(['running', 'stopped'])
  expect(statuses[ids[1]]).toEqual(['waiting', 'running', 'done'])

  const runs = await ours(studio.checkpointDir)
  expect(runs.map((run) => run.status).sort()).toEqual(['done', 'stopped'])
  const second = runs.find((run) => run.status === 'done')!
  expect(second.step).toBe(200)

  // Each row links to its run's page in the Runs view, where both runs are listed.
  await rows.nth(1).getByTestId('queue-item-open').click()
  await expect(page.getByTestId('run-page')).toHaveAttribute('data-run', second.name)
  await expect(page.getByTestId('run-page-status')).toHaveText('done')
  await page.getByTestId('run-back').click()
  for (const run of runs) {
    await expect(page.locator(`[data-testid="runs-row"][data-run="${run.name}"]`)).toHaveAttribute('data-status', run.status)
  }

  // Ended runs can be cleared from the queue; the engine is shared with later specs.
  await page.getByTestId('nav-train').click()
  await rows.nth(0).getByTestId('queue-item-remove').click()
  await expect(rows).toHaveCount(1)
  await rows.nth(0).getByTestId('queue-item-remove').click()
  await expect(page.getByTestId('queue-panel')).toHaveCount(0)
})
