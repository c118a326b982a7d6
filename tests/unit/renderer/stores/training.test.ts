import { readFile } from 'node:fs/promises'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { setApi, useApi } from '../../../../src/renderer/src/api'
import { useCorpusStore } from '../../../../src/renderer/src/stores/corpus'
import { useTrainingStore } from '../../../../src/renderer/src/stores/training'
import { MetricsRecord } from '../../../../src/shared/checkpoint'
import { connectStoresToEngine } from '../engine-fixture'
import { metricsFile, sampleCorpus, tinyRun, until } from '../store-helpers'

const engine = connectStoresToEngine({ mayRead: [sampleCorpus] })
beforeEach(async () => {
  await useCorpusStore().scan(sampleCorpus)
})

describe('training store', () => {
  it('drops the last run\'s result when Train is pressed, before the new run reports', async () => {
    const training = useTrainingStore()
    await training.start({ folder: sampleCorpus, config: tinyRun(10) })
    await until(() => training.finished !== null, 'the first run to finish')
    const second = training.start({ folder: sampleCorpus, config: tinyRun(10) })
    expect(training.finished).toBeNull()
    expect(await second).toBe(true)
    await until(() => training.finished !== null, 'the second run to finish')
    expect(training.finished).toMatchObject({ reason: 'completed', step: 10 })
  })

  it('follows a run to its end: phases, every step as the engine recorded it, checkpoints', async () => {
    const training = useTrainingStore()
    expect(await training.start({ folder: sampleCorpus, config: tinyRun(30) })).toBe(true)
    expect(training.active).toBe(true)
    await until(() => training.finished !== null, 'the run to finish')

    expect(training.state).toBe('done')
    expect(training.finished).toMatchObject({ reason: 'completed', step: 30 })
    expect(training.step).toBe(30)
    expect(training.totalSteps).toBe(30)
    expect(training.phases.map((phase) => phase.phase)).toEqual([
      'corpus',
      'tokenizer',
      'dataset',
      'model',
    ])
    expect(training.phases.every((phase) => phase.done)).toBe(true)
    expect(training.spheres.map((sphere) => sphere.id)).toEqual([0, 1])

    // The charts hold exactly what the engine wrote to metrics.jsonl, step by step.
    const lines = (await readFile(metricsFile(training.started!.runDir), 'utf8')).trim().split('\n')
    const records = lines.map((line) => MetricsRecord.parse(JSON.parse(line)))
    const steps = records.filter((record) => record.step > 0)
    expect(training.series.loss).toEqual(steps.map((r) => ({ x: r.step, y: r.loss })))
    expect(training.series.lr).toEqual(steps.map((r) => ({ x: r.step, y: r.lr })))
    const validated = records.filter((r) => typeof r.val_loss === 'number')
    expect(training.series.valLoss).toEqual(validated.map((r) => ({ x: r.step, y: r.val_loss })))

    const periodic = training.saved.filter((saved) => saved.kind === 'periodic')
    expect(periodic.map((saved) => saved.step)).toEqual(expect.arrayContaining([10, 20]))
    expect(training.saved.at(-1)).toMatchObject({ step: 30, kind: 'final' })
    expect(training.log.some((entry) => entry.text.startsWith('Final model saved'))).toBe(true)
  })

  it('pauses, resumes and stops the run; a page that connects later attaches to it', async () => {
    const training = useTrainingStore()
    // What the engine told this page, in order: each state change and each step reported.
    const heard: Array<{ state?: string; step: number }> = []
    useApi().on('training.state', (payload) => heard.push({ state: payload.state, step: payload.step }))
    useApi().on('training.progress', (payload) => heard.push({ step: payload.step }))
    await training.start({ folder: sampleCorpus, config: tinyRun(100_000) })
    await until(() => training.state === 'training' && training.step > 0, 'training to begin')

    await training.pause()
    await until(() => training.state === 'paused', 'the pause')
    // The engine says "paused" at once, at the step it had done; the step then in flight (if any)
    // still finishes and is reported, and no other. Each count below is read after a later event
    // (another page's attach, the resume), never after a sleep.
    const paused = heard.findIndex((entry) => entry.state === 'paused')
    const pausedAt = heard[paused].step

    // Another page: a fresh client and fresh stores find the run with training.status.
    const other = engine().client()
    setApi(other)
    setActivePinia(createPinia())
    const late = useTrainingStore()
    await late.attach()
    expect(late.runId).toBe(training.runId)
    expect(late.state).toBe('paused')
    expect([pausedAt, pausedAt + 1]).toContain(late.step)

    await late.resume()
    await until(() => training.state === 'training' && training.step > pausedAt + 1, 'the resume')
    const resumed = heard.findIndex((entry, index) => index > paused && entry.state === 'training')
    expect([pausedAt, pausedAt + 1]).toContain(heard[resumed].step)
    const reportedWhilePaused = heard.slice(paused + 1, resumed).map((entry) => entry.step)
    expect(reportedWhilePaused.every((step) => step <= pausedAt + 1)).toBe(true)
    // The log names the step the cards showed while paused, not the one before it.
    expect(training.log.map((entry) => entry.text)).toContain(`Paused at step ${reportedWhilePaused.at(-1) ?? pausedAt}`)
    await late.stop()
    await until(() => training.finished !== null && late.finished !== null, 'the stop')
    expect(training.finished).toMatchObject({ state: 'done', reason: 'stopped' })
    expect(training.saved.at(-1)?.kind).toBe('stop')
    expect(late.finished).toEqual(training.finished)
    expect(training.log.map((entry) => entry.text)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Paused at step/),
        expect.stringMatching(/^Resumed at step/),
      ]),
    )
  })

  it('keeps a refused start as an error naming the field, and starts nothing', async () => {
    const training = useTrainingStore()
    const ok = await training.start({
      folder: sampleCorpus,
      config: { model: { embedDim: 64, numHeads: 3 }, training: { threads: 2 } },
    })
    expect(ok).toBe(false)
    expect(training.error).toMatchObject({
      code: 'invalid-config',
      message: expect.stringContaining('numHeads'),
    })
    expect(training.active).toBe(false)
    expect(training.runId).toBeNull()
  })
})
