import { defineConfig } from '@playwright/test'

/**
 * End-to-end: the built renderer (out/renderer, from `npm run build`) in Debian's Chromium, talking
 * to the real engine through the WebSocket transport. The server runs inside the test worker
 * (tests/e2e/fixtures.ts), so one worker keeps one server.
 */
export default defineConfig({
  testDir: 'tests/e2e',
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  // Generous: the first test also pays for starting Chromium and the server on a busy machine.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  outputDir: 'test-results/e2e',
  // `npm test` reads the JSON report from PLAYWRIGHT_JSON_OUTPUT_NAME to count passes and failures.
  reporter: [
    ['list'],
    [
      'json',
      { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ?? 'test-results/e2e-report.json' },
    ],
  ],
  use: {
    browserName: 'chromium',
    viewport: { width: 1280, height: 860 },
    colorScheme: 'light',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
})
