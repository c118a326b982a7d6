/**
 * Chat data from the UI: a folder of .jsonl conversations (and one plain-text file) scanned in the
 * Data view with its counts and bad line, trained on from the Train view (counts before training,
 * sample answers at each evaluation), then the Generate view's chat playground: two turns with the
 * template applied, the second from the key/value cache, answered as the engine answers itself.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { listRuns } from '../../src/main/engine/checkpoints'
import { chatRunnerFor, openCheckpointModel } from '../../src/main/engine/session/from-checkpoint'
import type { ChatMessage } from '../../src/shared/chat'
import { GenerateOptions } from '../../src/shared/training'
import { expect, leaveCheckpointFolderAsFound, openStudio, scanFolder, test } from './fixtures'

test.describe.configure({ mode: 'serial' })
leaveCheckpointFolderAsFound()

async function chatFolder(root: string): Promise<string> {
  const folder = join(root, 'chat-data')
  await mkdir(folder, { recursive: true })
  const colours = ['red', 'blue', 'green', 'yellow', 'black', 'white']
  const animals = ['cat', 'dog', 'owl', 'fox', 'hen', 'cow']
  const lines = animals.flatMap((animal, a) =>
    colours.slice(0, 4).map((_, k) =>
      JSON.stringify({ messages: [{ role: 'user', content: `What colour is the ${animal}?` }, { role: 'assistant', content: `The ${animal} is ${colours[(a + k) % 6]}.` }] }),
    ),
  )
  lines.splice(5, 0, '{"messages": "oops"}')
  await writeFile(join(folder, 'colours.jsonl'), `${lines.join('\n')}\n`)
  await writeFile(join(folder, 'sums.jsonl'), Array.from({ length: 12 }, (_, i) => JSON.stringify({ instruction: 'Add the numbers.', input: `${i} + 1`, output: `${i + 1}` })).join('\n') + '\n')
  await writeFile(join(folder, 'notes.txt'), 'A plain text file beside the chat data.\n')
  return folder
}

test('chat data: counts and bad lines in Data, a run with sample answers, and the chat playground', async ({ page, studio }) => {
  test.setTimeout(240_000)
  const folder = await chatFolder(studio.tmp)
  await openStudio(page, studio)
  await scanFolder(page, folder)

  const data = page.getByTestId('chat-data')
  await expect(data).toBeVisible()
  await expect(page.getByTestId('chat-conversations')).toHaveText('36 conversations in 2 .jsonl files')
  await expect(page.getByTestId('chat-issue')).toHaveText(['colours.jsonl:6: "messages" must be a non-empty array'])
  await expect(page.getByTestId('chat-mixed')).toContainText('1 plain-text files')
  await page.getByTestId('chat-data-kind').selectOption('chat')
  // Tokenize prepares the chat dataset and shows what will carry the loss, before any training.
  await page.getByTestId('tokenize-button').click()
  const tokenized = page.getByTestId('tokenize-chat')
  await expect(tokenized).toContainText('36 conversations', { timeout: 60_000 })
  await expect(tokenized).toContainText(/[\d,]+ prompt and [\d,]+ answer tokens · [\d,]+ padding\s+in [\d,]+ packed windows\s+·\s+\d+\.\d%\s+of the tokens carry the loss \(answers only\)/)

  await page.getByTestId('nav-train').click()
  await page.getByTestId('preset-tiny').click()
  await page.getByTestId('field-threads').fill('2')
  await page.getByTestId('field-seqLen').fill('64')
  await page.getByTestId('field-vocabSize').fill('300')
  await page.getByTestId('field-maxSteps').fill('150')
  await page.getByText('More settings').click()
  await page.getByTestId('field-learningRate').fill('0.01')
  await page.getByTestId('field-evalInterval').fill('50')
  await page.getByTestId('train-button').click()

  await expect(page.getByTestId('chat-counts')).toContainText('36 conversations', { timeout: 60_000 })
  await expect(page.getByTestId('chat-loss-share')).toHaveText(/^\d+\.\d%$/)
  await expect(page.getByTestId('sample-answers')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('sample-answer').first()).toContainText('expected:')
  await expect(page.getByTestId('run-finished')).toHaveAttribute('data-reason', 'completed', { timeout: 120_000 })
  await expect(page.getByTestId('sample-answers')).toHaveAttribute('data-step', '150')

  await page.getByTestId('nav-generate').click()
  await expect(page.getByTestId('generate-mode-chat')).toBeChecked()
  await page.getByTestId('generate-temperature').fill('0')
  await page.getByTestId('generate-max-tokens').fill('12')
  const send = async (text: string) => {
    await page.getByTestId('chat-input').fill(text)
    await page.getByTestId('chat-send').click()
  }
  await send('What colour is the cat?')
  await expect(page.getByTestId('chat-message')).toHaveCount(2, { timeout: 30_000 })
  await send('What colour is the owl?')
  await expect(page.getByTestId('chat-message')).toHaveCount(4, { timeout: 30_000 })
  const texts = await page.getByTestId('chat-message').locator('.content').allTextContents()
  // The second turn came from the cache: without it, the whole prompt and every answer token are
  // computed; with it, the first turn (a dozen tokens and more) is not computed again.
  const stats = (await page.getByTestId('chat-stats').textContent()) ?? ''
  const [, answer, prompt, computed] = stats.match(/^\s*(\d+) tokens.*prompt (\d+) tokens, (\d+) positions computed/) ?? []
  expect(Number(computed)).toBeLessThanOrEqual(Number(prompt) + Number(answer) - 10)

  // The engine, asked directly with the same conversation and settings, answers the same.
  const path = (await listRuns(studio.checkpointDir)).runs.flatMap((run) => run.checkpoints).find((c) => c.kind === 'final')!.path
  const model = await openCheckpointModel(path)
  try {
    const runner = chatRunnerFor(model)
    const options = GenerateOptions.parse({ temperature: 0, maxTokens: 12 })
    const messages: ChatMessage[] = [{ role: 'user', content: 'What colour is the cat?' }]
    const first = await runner.reply(messages, options)
    expect(texts[1]).toBe(first.text)
    messages.push({ role: 'assistant', content: first.text }, { role: 'user', content: 'What colour is the owl?' })
    expect(texts[3]).toBe((await runner.reply(messages, options)).text)
  } finally {
    await model.close()
  }

  await page.getByTestId('chat-reset').click()
  await expect(page.getByTestId('chat-message')).toHaveCount(0)
})
