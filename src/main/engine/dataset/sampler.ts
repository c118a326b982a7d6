/**
 * Seeded batches of training windows. A window is `seqLen + 1` consecutive tokens (inputs and
 * their next-token targets). An epoch visits every non-overlapping window of the training range
 * once, in a seeded random order, from a seeded offset, so that epochs see different alignments;
 * `stepsPerEpoch` batches cover the training tokens once. A batch that runs past the end of an
 * epoch continues with the next one. The state is a count of windows drawn, so saving it in a
 * checkpoint and restoring it continues exactly where the run was.
 */
import { Rng } from '../rng'
import type { TokenRange } from './split'

export interface SamplerConfig {
  range: TokenRange
  seqLen: number
  batchSize: number
  seed: number
  /**
   * Chat data: windows start only at multiples of this from the range's start (seqLen + 1 apart, so
   * no window cuts a conversation), with no random offset. Absent: every seqLen tokens from an offset.
   */
  stride?: number
}

export interface SamplerState extends SamplerConfig {
  version: 1
  /** Windows handed out so far. */
  drawn: number
}

const EPOCH_STREAM = 0xe90c

export class Sampler {
  readonly windowsPerEpoch: number
  readonly stepsPerEpoch: number
  private drawn: number
  private cachedEpoch = -1
  private order: Uint32Array = new Uint32Array(0)
  private offset = 0

  constructor(
    readonly config: SamplerConfig,
    drawn = 0,
  ) {
    const { range, seqLen, batchSize, seed } = config
    if (!Number.isInteger(seqLen) || seqLen < 1)
      throw new RangeError(`seqLen must be a positive integer, got ${seqLen}`)
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`)
    if (!Number.isSafeInteger(seed))
      throw new RangeError(`seed must be a safe integer, got ${seed}`)
    if (!Number.isSafeInteger(drawn) || drawn < 0)
      throw new RangeError(`drawn must be a count, got ${drawn}`)
    const { stride } = config
    if (stride !== undefined && (!Number.isInteger(stride) || stride < 1))
      throw new RangeError(`stride must be a positive integer, got ${stride}`)
    this.windowsPerEpoch =
      stride === undefined
        ? Math.floor((range.end - range.start - 1) / seqLen)
        : Math.max(0, Math.floor((range.end - range.start - (seqLen + 1)) / stride) + 1)
    if (this.windowsPerEpoch < 1) {
      throw new RangeError(
        `The range [${range.start}, ${range.end}) holds no window of ${seqLen + 1} tokens`,
      )
    }
    this.stepsPerEpoch = Math.ceil(this.windowsPerEpoch / batchSize)
    this.drawn = drawn
  }

  static restore(state: SamplerState): Sampler {
    if (state?.version !== 1) throw new TypeError('Unknown sampler state version')
    const { range, seqLen, batchSize, seed, stride } = state
    return new Sampler(
      { range: { start: range.start, end: range.end }, seqLen, batchSize, seed, ...(stride === undefined ? {} : { stride }) },
      state.drawn,
    )
  }

  /** Plain JSON: enough to continue exactly. */
  state(): SamplerState {
    const { range, seqLen, batchSize, seed, stride } = this.config
    return {
      version: 1, range: { ...range }, seqLen, batchSize, seed, drawn: this.drawn,
      ...(stride === undefined ? {} : { stride }),
    }
  }

  /** Epochs completed, as a fraction (1.5 = halfway through the second epoch). */
  get epochProgress(): number {
    return this.drawn / this.windowsPerEpoch
  }

  get epoch(): number {
    return Math.floor(this.drawn / this.windowsPerEpoch)
  }

  /** The start offsets (in the stream) of the next batch's windows. */
  nextStarts(): number[] {
    const starts = new Array<number>(this.config.batchSize)
    for (let b = 0; b < starts.length; b++) {
      const epoch = Math.floor(this.drawn / this.windowsPerEpoch)
      this.prepareEpoch(epoch)
      const k = this.order[this.drawn - epoch * this.windowsPerEpoch]
      starts[b] = this.config.range.start + this.offset + k * (this.config.stride ?? this.config.seqLen)
      this.drawn++
    }
    return starts
  }

  /** The next batch copied out of `tokens`: batchSize rows of seqLen + 1 ids. */
  nextBatch(
    tokens: ArrayLike<number>,
    out = new Uint32Array(this.config.batchSize * (this.config.seqLen + 1)),
  ): Uint32Array {
    const width = this.config.seqLen + 1
    this.nextStarts().forEach((start, row) => {
      for (let i = 0; i < width; i++) out[row * width + i] = tokens[start + i]
    })
    return out
  }

  private prepareEpoch(epoch: number): void {
    if (epoch === this.cachedEpoch) return
    const rng = Rng.seeded(this.config.seed, EPOCH_STREAM, epoch)
    const { range, seqLen } = this.config
    const slack = range.end - range.start - (this.windowsPerEpoch * seqLen + 1)
    // Drawn in both modes so the order's numbers do not depend on the mode.
    const offset = rng.nextInt(Math.max(0, slack) + 1)
    this.offset = this.config.stride === undefined ? offset : 0
    const order = new Uint32Array(this.windowsPerEpoch)
    for (let i = 0; i < order.length; i++) order[i] = i
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1)
      const t = order[i]
      order[i] = order[j]
      order[j] = t
    }
    this.order = order
    this.cachedEpoch = epoch
  }
}

/** Up to `max` evenly spaced, non-overlapping windows of a range: the fixed set validation uses. */
export function validationStarts(range: TokenRange, seqLen: number, max: number, windowStride?: number): number[] {
  const step = windowStride ?? seqLen
  const available =
    windowStride === undefined
      ? Math.floor((range.end - range.start - 1) / seqLen)
      : Math.max(0, Math.floor((range.end - range.start - (seqLen + 1)) / windowStride) + 1)
  const count = Math.max(0, Math.min(max, available))
  const stride = count > 0 ? Math.floor(available / count) : 0
  return Array.from({ length: count }, (_, i) => range.start + i * stride * step)
}
