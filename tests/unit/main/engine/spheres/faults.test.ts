import { beforeAll, describe, expect, it } from 'vitest'
import { SphereFault } from '../../../../../src/main/engine/spheres/pool'
import { ensureKernelsBuilt, sharedTokens, startsFor, tinyModel, trainer } from './helpers'

const T = tinyModel.seqLen
const tokens = sharedTokens(2000, tinyModel.vocabSize, 3)
const steps = (n: number) => Array.from({ length: n }, (_, k) => startsFor(k, 4, tokens.length, T))

beforeAll(() => ensureKernelsBuilt())

describe('sphere faults', () => {
  it('a sphere that throws mid-step rejects the step naming it, stops every thread, and the pool can be built again', async () => {
    const t = await trainer({ threads: 3, batchSize: 4, fault: { sphere: 1, step: 3, kind: 'throw' } })
    const [s1, s2, s3] = steps(3)
    await t.step(tokens, s1, 1e-3)
    await t.step(tokens, s2, 1e-3)
    const error = await t.step(tokens, s3, 1e-3).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SphereFault)
    expect((error as SphereFault).sphereId).toBe(1)
    expect((error as SphereFault).message).toMatch(/^Sphere 1 failed: .*injected fault at step 3/)
    expect(t.liveThreads).toBe(0)
    // The pool stays failed; the state cannot be trusted mid-update and is not handed out.
    await expect(t.step(tokens, s1, 1e-3)).rejects.toBe(error)
    await t.close()

    const again = await trainer({ threads: 3, batchSize: 4 })
    expect((await again.step(tokens, s1, 1e-3)).loss).toBeGreaterThan(0)
    await again.close()
    expect(again.liveThreads).toBe(0)
  })

  it('a sphere whose thread exits mid-step fails the step with its id and exit code', async () => {
    const t = await trainer({ threads: 2, batchSize: 4, fault: { sphere: 0, step: 1, kind: 'exit', ms: 9 } })
    const error = await t.step(tokens, steps(1)[0], 1e-3).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SphereFault)
    expect((error as SphereFault).message).toMatch(/^Sphere 0 failed: its thread exited with code 9$/)
    expect(t.liveThreads).toBe(0)
    await t.close()
  })

  it('close() during a step ends it as cancelled, without waiting for the step, with no thread left', async () => {
    // Sphere 1 stalls in step 2 for the longest wait Atomics.wait takes (about 24 days): that step can
    // only end through close(), so a close() that waited for it would fail the test by its timeout.
    const t = await trainer({ threads: 2, batchSize: 4, fault: { sphere: 1, step: 2, kind: 'delay', ms: 2 ** 31 - 1 } })
    await t.step(tokens, steps(1)[0], 1e-3)
    const pending = t.step(tokens, steps(2)[1], 1e-3)
    await t.close()
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' })
    expect(t.liveThreads).toBe(0)
    await expect(t.evaluate(tokens, [0])).rejects.toMatchObject({ code: 'cancelled' })
    await t.close()
  })
})
