/**
 * The figures every campaign prints and judges: trials, refused cleanly, crashes, hangs, escapes.
 * A crash is a failure that is not the clear, typed refusal the product promises; a hang is a trial
 * that did not settle within its time; an escape is anything read, written or accepted that must
 * not be (a file outside the roots, a damaged checkpoint loaded). The first few of each are kept
 * with their detail, so a failing campaign says what went wrong.
 */
export type Outcome = 'ok' | 'refused' | 'crash' | 'hang' | 'escape'

export class Tally {
  trials = 0
  ok = 0
  refused = 0
  crashes = 0
  hangs = 0
  escapes = 0
  readonly examples: string[] = []

  constructor(readonly name: string) {}

  record(outcome: Outcome, detail = ''): void {
    this.trials++
    if (outcome === 'ok') this.ok++
    else if (outcome === 'refused') this.refused++
    else if (outcome === 'crash') this.crashes++
    else if (outcome === 'hang') this.hangs++
    else this.escapes++
    if (
      (outcome === 'crash' || outcome === 'hang' || outcome === 'escape') &&
      this.examples.length < 5
    )
      this.examples.push(`${outcome}: ${detail}`)
  }

  /** Prints the figures (the README quotes them) and returns the examples of what failed. */
  report(): string[] {
    console.log(
      `[campaign] ${this.name}: ${this.trials} trials, ${this.ok} handled, ${this.refused} refused cleanly, ` +
        `${this.crashes} crashes, ${this.hangs} hangs, ${this.escapes} escapes`,
    )
    return this.examples
  }
}

/** Settles `promise` within `ms`, or reports a hang. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ settled: true; value: T } | { settled: true; error: unknown } | { settled: false }> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<{ settled: false }>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), ms)
  })
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ settled: true as const, value }),
        (error: unknown) => ({ settled: true as const, error }),
      ),
      timeout,
    ])
  } finally {
    clearTimeout(timer)
  }
}
