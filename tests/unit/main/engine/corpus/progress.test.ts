import { describe, expect, it } from 'vitest'
import {
  ProgressReporter,
  type ProgressUpdate,
} from '../../../../../src/main/engine/corpus/progress'

describe('ProgressReporter', () => {
  it('reports at most once per interval, and always at the end', () => {
    let now = 0
    const reports: ProgressUpdate[] = []
    const progress = new ProgressReporter(
      (p) => reports.push(p),
      50,
      () => now,
    )
    for (let i = 0; i < 100; i++) {
      progress.filesSeen++
      progress.tick()
      now += 10 // 1000 ms in all → 20 reports at most
    }
    expect(reports.length).toBe(20)
    expect(reports[0].filesSeen).toBe(1)
    progress.finish()
    expect(reports.length).toBe(21)
    expect(reports.at(-1)?.filesSeen).toBe(100)
  })

  it('adds filesToRead once known', () => {
    const reports: ProgressUpdate[] = []
    const progress = new ProgressReporter((p) => reports.push(p))
    progress.finish()
    progress.filesToRead = 3
    progress.finish()
    expect(reports[0]).not.toHaveProperty('filesToRead')
    expect(reports[1].filesToRead).toBe(3)
  })
})
