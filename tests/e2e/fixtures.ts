/**
 * The studio as a browser meets it: the real engine and WebSocket server started in the test
 * worker on the built renderer, allowed to read the repository and one temp folder.
 */
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test as base, expect, type Page } from '@playwright/test'
import { createEngineApi, type EngineApi } from '../../src/main/engine/api/engine-api'
import type { EventHub } from '../../src/main/engine/api/event-hub'
import { nodeCorpusFs, type CorpusFs } from '../../src/main/engine/corpus/corpus-fs'
import { listRunSummaries } from '../../src/main/engine/runs'
import type { RunSummary } from '../../src/shared/runs'
import { createFolderPolicy } from '../../src/main/server/folder-policy'
import { startServer, type RunningServer } from '../../src/main/server/ws-server'

export const repoRoot = resolve(import.meta.dirname, '..', '..')
export const rendererDir = join(repoRoot, 'out', 'renderer')
const version = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
).version
/**
 * Where the README's screenshots go: resources/ when UPDATE_SCREENSHOTS=1 (run it after a UI change
 * and commit them), else test-results/, so a test run leaves the checkout clean.
 */
export function screenshotPath(name: string): string {
  const folder = process.env.UPDATE_SCREENSHOTS === '1' ? 'resources' : 'test-results'
  return join(repoRoot, folder, name)
}

export const sampleCorpus = join(repoRoot, 'resources', 'sample-corpus')

export interface Studio {
  server: RunningServer
  /** A fresh temp folder the UI may read; removed when the worker ends. */
  tmp: string
  /** Where runs started from the UI are written (inside tmp), and what Checkpoints lists. */
  checkpointDir: string
  /** The engine's events as it sends them to the page: what a test waits on instead of the clock. */
  events: EventHub
  /** The engine behind the page, for a test that must hold a run where the page cannot (paused while it prepares). */
  engine: EngineApi
  /**
   * Holds the listing of `folder` in every scan until the returned function is called: a scan of
   * it cannot end by itself, however fast the machine.
   */
  holdListing(folder: string): () => void
}

export const test = base.extend<object, { studio: Studio }>({
  studio: [
    async ({}, use) => {
      if (!existsSync(join(rendererDir, 'index.html'))) {
        throw new Error(
          `No built renderer in ${rendererDir}: run \`npm run build\` before the end-to-end tests.`,
        )
      }
      const tmp = await mkdtemp(join(tmpdir(), 'cllm-e2e-'))
      const checkpointDir = join(tmp, 'checkpoints')
      const held = new Map<string, Promise<void>>()
      const corpusFs: CorpusFs = {
        ...nodeCorpusFs,
        readdir: async (path) => {
          await held.get(resolve(path))
          return nodeCorpusFs.readdir(path)
        },
      }
      const holdListing = (folder: string): (() => void) => {
        let release = () => {}
        held.set(resolve(folder), new Promise<void>((resolveHold) => (release = resolveHold)))
        return () => {
          held.delete(resolve(folder))
          release()
        }
      }
      const api = createEngineApi({
        transport: 'websocket',
        version,
        sampleCorpus,
        checkpointDir,
        mayRead: createFolderPolicy([repoRoot, tmp]),
        readableRoots: [repoRoot, tmp],
        corpusFs,
      })
      const server = await startServer({ rendererDir, api })
      await use({ server, tmp, checkpointDir, events: api.events, engine: api, holdListing })
      await api.shutdown()
      await server.close()
      await rm(tmp, { recursive: true, force: true })
    },
    { scope: 'worker', timeout: 60_000 },
  ],
})

export { expect }

/**
 * The engine (and its checkpoint folder) is shared by every spec of a worker. A spec that makes
 * runs calls this once: it returns the runs the spec made, and removes them (with the trash and
 * the exports) after the spec, so a later spec meets the folder as it was.
 */
export function leaveCheckpointFolderAsFound(): (dir: string) => Promise<RunSummary[]> {
  let before = new Set<string>()
  const listAll = async (dir: string) => (await listRunSummaries(dir).catch(() => ({ runs: [] }))).runs
  const ours = async (dir: string) => (await listAll(dir)).filter((run) => !before.has(run.path))
  test.beforeAll(async ({ studio }) => {
    before = new Set((await listAll(studio.checkpointDir)).map((run) => run.path))
  })
  test.afterAll(async ({ studio }) => {
    for (const run of await ours(studio.checkpointDir)) await rm(run.path, { recursive: true, force: true })
    await rm(join(studio.checkpointDir, '.trash'), { recursive: true, force: true })
    await rm(join(studio.checkpointDir, 'exports'), { recursive: true, force: true })
  })
  return ours
}

/** Opens the studio and waits for the sample corpus it opens on to be scanned. */
export async function openStudio(page: Page, studio: Studio): Promise<void> {
  await page.goto(studio.server.openUrl)
  await expect(page.getByTestId('totals')).toBeVisible()
  await expect(page.getByTestId('connection-status')).toHaveText('Connected')
}

/** A number the UI keeps in a data-value (or other data-) attribute for exact comparison. */
export async function dataNumber(page: Page, testId: string, attribute = 'data-value'): Promise<number> {
  const value = await page.getByTestId(testId).first().getAttribute(attribute)
  return value === null || value === '' ? Number.NaN : Number(value)
}

/** Types a folder into the browser-mode path field and scans it. */
export async function scanFolder(page: Page, folder: string): Promise<void> {
  await page.getByTestId('folder-input').fill(folder)
  await page.getByTestId('scan-button').click()
}

/** The text a user would read must not look like a stack trace or leak source locations. */
export function expectNoStack(text: string): void {
  expect(text).not.toMatch(/^\s*at .+/m)
  expect(text).not.toMatch(/\(\S+:\d+:\d+\)/)
  expect(text).not.toMatch(/\b\w*Error:/)
  expect(text).not.toMatch(/\.(ts|js|mjs|cjs):\d+/)
  expect(text).not.toMatch(/node:internal|file:\/\//)
}

/**
 * A tiny model (vocab 300, 32 wide, one layer of two heads, context 32) on one sphere, by default
 * with no periodic checkpoints: a checkpoint every 500 steps adds a log line and a toast twice a second,
 * which kept moving the form while a long run trained (under load a fill then never found it still).
 */
export async function fillTinySettings(
  page: Page,
  learningRate: string,
  maxSteps: number,
  intervals: { evalInterval?: number; checkpointInterval?: number } = {},
): Promise<void> {
  // A run folds the settings away; they stay editable for the next runs.
  if (!(await page.getByTestId('field-embedDim').isVisible())) await page.getByTestId('settings-toggle').click()
  if (!(await page.getByTestId('field-checkpointInterval').isVisible())) await page.getByText('More settings').click()
  const fields: Record<string, string> = {
    vocabSize: '300',
    embedDim: '32',
    numLayers: '1',
    numHeads: '2',
    seqLen: '32',
    threads: '1',
    maxSteps: String(maxSteps),
    learningRate,
    checkpointInterval: String(intervals.checkpointInterval ?? 0),
    ...(intervals.evalInterval === undefined ? {} : { evalInterval: String(intervals.evalInterval) }),
  }
  for (const [field, value] of Object.entries(fields)) await page.getByTestId(`field-${field}`).fill(value)
}
