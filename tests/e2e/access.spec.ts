import WebSocket from 'ws'
import { expect, test } from './fixtures'

test('the page without its token says how to get in, and the engine refuses it', async ({
  page,
  studio,
}) => {
  await page.goto(studio.server.url)
  await expect(page.getByTestId('error-box')).toHaveAttribute('data-code', 'forbidden')
  await expect(page.getByTestId('error-title')).toHaveText('Not connected to the engine')
  await expect(page.getByTestId('error-message')).toContainText('access token')
  await expect(page.getByTestId('connection-status')).toHaveText('Not connected')

  // The page's own origin, but no token: closed with a reason.
  const closed = await page.evaluate(
    (url) =>
      new Promise<{ code: number; reason: string }>((resolve) => {
        const ws = new WebSocket(url)
        ws.onclose = (event) => resolve({ code: event.code, reason: event.reason })
      }),
    studio.server.url.replace('http', 'ws') + 'api',
  )
  expect(closed.code).toBe(4401)
  expect(closed.reason).toContain('access token')
})

test('a WebSocket from another origin is refused even with the token', async ({ studio }) => {
  const status = await new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(
      `ws://127.0.0.1:${studio.server.port}/api?token=${studio.server.token}`,
      {
        headers: { Origin: 'http://attacker.example' },
      },
    )
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.on('open', () => reject(new Error('accepted a cross-site connection')))
    ws.on('error', () => {})
  })
  expect(status).toBe(403)
})
