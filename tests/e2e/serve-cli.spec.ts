import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { loadCorpus } from '../../src/main/engine/corpus'
import { expect, repoRoot, sampleCorpus, test } from './fixtures'

test('`cllm serve` prints an address that opens the studio, and stops on Ctrl+C', async ({
  page,
  studio,
}) => {
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'out', 'main', 'cli.js'), 'serve', '--port', '0', '--root', studio.tmp],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  try {
    await expect.poll(() => output, { timeout: 10_000 }).toContain('#token=')
    const address = /CLLM Studio is ready: (http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)/.exec(
      output,
    )?.[1]
    expect(address, output).toBeTruthy()
    expect(output).toContain(`The UI may read folders under: ${studio.tmp}`)

    const direct = await loadCorpus({ folder: sampleCorpus })
    await page.goto(address as string)
    await expect(page.getByTestId('total-files')).toHaveAttribute(
      'data-value',
      String(direct.summary.totals.files),
    )
    await expect(page.getByTestId('total-bytes')).toHaveAttribute(
      'data-value',
      String(direct.summary.totals.bytes),
    )
  } finally {
    child.kill('SIGINT')
  }
  expect(await exited).toBe(0)
})
