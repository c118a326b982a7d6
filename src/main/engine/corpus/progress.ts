/** Counts a scan's progress and reports it at most every `intervalMs`, plus once at the end. */
import type { ScanProgress } from '../../../shared/corpus'

export type ProgressUpdate = Omit<ScanProgress, 'scanId'>

export const PROGRESS_INTERVAL_MS = 50

export class ProgressReporter {
  filesSeen = 0
  filesAccepted = 0
  filesRead = 0
  bytesRead = 0
  filesToRead: number | undefined
  currentPath = ''
  private lastReport = -Infinity

  constructor(
    private readonly report: ((progress: ProgressUpdate) => void) | undefined,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Reports if the last report is older than the interval. */
  tick(): void {
    if (this.report === undefined) return
    const now = this.now()
    if (now - this.lastReport < this.intervalMs) return
    this.lastReport = now
    this.report(this.snapshot())
  }

  /** The final report, whatever the time since the last one. */
  finish(): void {
    this.lastReport = this.now()
    this.report?.(this.snapshot())
  }

  private snapshot(): ProgressUpdate {
    return {
      filesSeen: this.filesSeen,
      filesAccepted: this.filesAccepted,
      bytesRead: this.bytesRead,
      currentPath: this.currentPath,
      filesRead: this.filesRead,
      ...(this.filesToRead === undefined ? {} : { filesToRead: this.filesToRead }),
    }
  }
}
