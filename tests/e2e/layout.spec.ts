/**
 * The studio lays out cleanly from 1024 × 700 up: at 1024, 1280 and 1600 wide, on every view with
 * real content (a tokenized corpus, two finished runs from the queue, a run's page, Compare), the
 * document itself never scrolls (the content column does), and no element sticks out of its card
 * or clips its own content. A geometric check in the page: bounding boxes and scroll sizes, not
 * pixels. Screenshots of every view at every size go to test-results/layout/.
 */
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { expect, fillTinySettings, leaveCheckpointFolderAsFound, openStudio, repoRoot, test } from './fixtures'

test.describe.configure({ mode: 'serial' })

const ours = leaveCheckpointFolderAsFound()

const SIZES = [
  { width: 1024, height: 700 },
  { width: 1280, height: 860 },
  { width: 1600, height: 1000 },
]

/**
 * Everything wrong with the layout as the page draws it now, one sentence each: the document
 * scrolling (a blank band below the app, or a sideways scroll), an element wider than the card,
 * dialog or view it sits in, or a box that hides part of its content (text cut by an ellipsis that
 * carries no title, a button cut off by its row). Inputs and charts are exempt: their content is
 * theirs to scroll.
 */
function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    // The DOM as far as this check needs it (the Node typecheck has no DOM library).
    interface Box {
      left: number
      right: number
      top: number
      bottom: number
      width: number
      height: number
    }
    interface Node {
      tagName: string
      className: unknown
      textContent: string | null
      parentElement: Node | null
      scrollWidth: number
      clientWidth: number
      scrollHeight: number
      clientHeight: number
      getAttribute(name: string): string | null
      getBoundingClientRect(): Box
      closest(selector: string): Node | null
    }
    interface Style {
      display: string
      visibility: string
      overflowX: string
      overflowY: string
      textOverflow: string
      position: string
    }
    const page = globalThis as unknown as {
      document: { scrollingElement: Node; querySelectorAll(selector: string): Iterable<Node>; querySelector(selector: string): Node | null }
      getComputedStyle(node: Node): Style
    }
    const describe = (node: Node): string => {
      const id = node.getAttribute('data-testid')
      const classes = typeof node.className === 'string' && node.className.trim() ? `.${node.className.trim().split(/\s+/).join('.')}` : ''
      const text = (node.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40)
      return `${node.tagName.toLowerCase()}${id ? `[${id}]` : classes}${text ? ` "${text}"` : ''}`
    }
    const problems: string[] = []
    // Only the outermost element that sticks out is named, not each of its children.
    const sticking = new Set<Node>()
    const doc = page.document.scrollingElement
    if (doc.scrollWidth > doc.clientWidth) problems.push(`the document scrolls sideways: ${doc.scrollWidth} > ${doc.clientWidth}`)
    if (doc.scrollHeight > doc.clientHeight) problems.push(`the document scrolls by itself: ${doc.scrollHeight} > ${doc.clientHeight}`)
    const content = page.document.querySelector('main.content')
    if (content && content.scrollWidth > content.clientWidth) problems.push(`the content column scrolls sideways: ${content.scrollWidth} > ${content.clientWidth}`)
    const exempt = new Set(['INPUT', 'TEXTAREA', 'SELECT', 'CANVAS', 'OPTION'])
    for (const node of page.document.querySelectorAll('main.content *, dialog[open] *')) {
      if (exempt.has(node.tagName) || node.closest('.visually-hidden, canvas')) continue
      const style = page.getComputedStyle(node)
      if (style.display === 'none' || style.visibility === 'hidden' || style.position === 'fixed') continue
      const box = node.getBoundingClientRect()
      if (box.width === 0 || box.height === 0) continue
      const clipsX = style.overflowX !== 'visible' && node.scrollWidth > node.clientWidth + 1
      const clipsY = (style.overflowY === 'hidden' || style.overflowY === 'clip') && node.scrollHeight > node.clientHeight + 1
      const explained = style.textOverflow === 'ellipsis' && node.getAttribute('title')
      if ((clipsX || clipsY) && !explained) {
        problems.push(`${describe(node)} hides part of its content: ${node.scrollWidth}×${node.scrollHeight} in ${node.clientWidth}×${node.clientHeight}`)
      }
      const holder = node.parentElement?.closest('.card, .dialog-frame, .view')
      if (!holder) continue
      const outer = holder.getBoundingClientRect()
      if (box.right > outer.right + 1 || box.left < outer.left - 1) {
        sticking.add(node)
        if (node.parentElement && sticking.has(node.parentElement)) continue
        problems.push(`${describe(node)} sticks out of ${describe(holder).slice(0, 40)}: ${Math.round(box.left)}–${Math.round(box.right)} outside ${Math.round(outer.left)}–${Math.round(outer.right)}`)
      }
    }
    return problems
  })
}

/** Checks the view now shown at every size, with a screenshot of each. */
async function checkAtEverySize(page: Page, view: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size)
    // Let the charts and the layout settle to the new size (two frames).
    await page.evaluate(() => {
      const page = globalThis as unknown as { requestAnimationFrame(callback: () => void): void }
      const frame = (callback: () => void) => page.requestAnimationFrame(callback)
      return new Promise<void>((done) => frame(() => frame(done)))
    })
    await page.screenshot({ path: join(repoRoot, 'test-results', 'layout', `${view}-${size.width}x${size.height}.png`) })
    expect.soft(await layoutProblems(page), `${view} at ${size.width} × ${size.height}`).toEqual([])
  }
  await page.setViewportSize(SIZES[1])
}

/** Toasts go by themselves too: close the ones still there, one at a time. */
async function dismissToasts(page: Page): Promise<void> {
  const close = page.getByTestId('toast').getByRole('button', { name: 'Dismiss' })
  while ((await close.count()) > 0) await close.first().click({ timeout: 5_000 }).catch(() => undefined)
}

/** A tiny model on one sphere, queued: the queue rows stay listed after they end. */
async function queueTinyRun(page: Page, learningRate: string, maxSteps: number): Promise<void> {
  await fillTinySettings(page, learningRate, maxSteps, { evalInterval: 10, checkpointInterval: 20 })
  await page.getByTestId('queue-add-button').click()
}

test('every view fits from 1024 × 700 to 1600 × 1000: nothing overflows its card, the document never scrolls', async ({ page, studio }) => {
  test.setTimeout(240_000)
  await openStudio(page, studio)

  // Data, after Tokenize (its preview and the file lists below).
  await page.getByTestId('tokenize-button').click()
  await expect(page.getByTestId('tokenize-result')).toBeVisible({ timeout: 60_000 })
  await checkAtEverySize(page, 'data')

  // Two finished runs, queued from the Train view.
  await page.getByTestId('nav-train').click()
  await expect(page.getByTestId('train-button')).toBeEnabled()
  await checkAtEverySize(page, 'train-ready')
  await queueTinyRun(page, '0.001', 40)
  await queueTinyRun(page, '0.003', 40)
  const rows = page.getByTestId('queue-item')
  await expect(rows).toHaveCount(2)
  for (const row of [rows.nth(0), rows.nth(1)]) await expect(row).toHaveAttribute('data-status', 'done', { timeout: 90_000 })
  await dismissToasts(page)
  await checkAtEverySize(page, 'train-after')

  await page.getByTestId('nav-checkpoints').click()
  await expect(page.getByTestId('runs-row')).toHaveCount((await ours(studio.checkpointDir)).length)
  await expect(page.getByTestId('run-card').first()).toBeVisible()
  await dismissToasts(page)
  await checkAtEverySize(page, 'runs')
  await page.getByTestId('checkpoint-resume').first().click()
  await expect(page.getByTestId('resume-dialog')).toBeVisible()
  await checkAtEverySize(page, 'resume-dialog')
  await page.getByTestId('resume-dialog').getByRole('button', { name: 'Cancel' }).click()

  await page.getByTestId('runs-open').first().click()
  await expect(page.getByTestId('run-checkpoint').first()).toBeVisible()
  await page.getByTestId('run-checkpoint-evaluate').first().click()
  await page.getByTestId('evaluate-on-folder').check()
  await checkAtEverySize(page, 'run-page')
  await page.getByTestId('run-back').click()

  for (const pick of await page.getByTestId('runs-pick').all()) await pick.check()
  await page.getByTestId('runs-compare').click()
  await expect(page.getByTestId('compare-chart-loss')).toBeVisible()
  await checkAtEverySize(page, 'compare')
  // Over wall time too: ticks from 0 on multiples of one spacing, so no two labels meet.
  await page.getByTestId('compare-x').selectOption('time')
  await checkAtEverySize(page, 'compare-time')
  for (const chart of await page.locator('[data-testid^="compare-chart-"]').all()) {
    const ticks = ((await chart.getAttribute('data-x-ticks')) ?? '').split(' ').map(Number)
    expect(ticks.length).toBeGreaterThan(2)
    expect(ticks[0]).toBe(0)
    const spacing = ticks[1] - ticks[0]
    ticks.forEach((tick, i) => expect(tick).toBeCloseTo(i * spacing, 9))
  }

  await page.getByTestId('nav-generate').click()
  await checkAtEverySize(page, 'generate')

  // The engine is shared with later specs: clear the ended runs from its queue.
  await page.getByTestId('nav-train').click()
  while ((await rows.count()) > 0) {
    const before = await rows.count()
    await rows.nth(0).getByTestId('queue-item-remove').click()
    await expect(rows).toHaveCount(before - 1)
  }
})
