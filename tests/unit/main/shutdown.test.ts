import { afterEach, describe, expect, it, vi } from 'vitest'
import { QUIT_GRACE_MS, settleWithin } from '../../../src/main/shutdown'

afterEach(() => vi.useRealTimers())

describe('settleWithin', () => {
  it('is true as soon as the work settles, false when the time runs out first', async () => {
    vi.useFakeTimers()
    await expect(settleWithin(Promise.resolve(), 1000)).resolves.toBe(true)
    const never = settleWithin(new Promise(() => {}), QUIT_GRACE_MS)
    let answer: boolean | undefined
    void never.then((value) => (answer = value))
    await vi.advanceTimersByTimeAsync(QUIT_GRACE_MS - 1)
    expect(answer).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    expect(answer).toBe(false)
  })

  it('counts a failed stop as settled (the app still quits), saying why on stderr', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    await expect(settleWithin(Promise.reject(new Error('disk full')), 1000)).resolves.toBe(true)
    expect(error).toHaveBeenCalledWith(expect.stringContaining('disk full'))
    error.mockRestore()
  })

  it('waits a few seconds, not longer', () => {
    expect(QUIT_GRACE_MS).toBeGreaterThanOrEqual(2_000)
    expect(QUIT_GRACE_MS).toBeLessThanOrEqual(10_000)
  })
})
