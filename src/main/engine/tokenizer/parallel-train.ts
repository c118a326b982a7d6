/**
 * BPE training on worker threads: the texts are cut at safe points and spread over the workers,
 * which count their words in parallel; the counts are summed here and one worker learns the
 * merges. The result equals single-threaded training (the merge order depends on the counts
 * only), and the main thread stays free and small while it runs.
 */
import type { TokenizeProgress } from '../../../shared/tokenizer'
import type { TrainedBpe } from './bpe-trainer'
import { cutDocuments, shardBySize } from './chunks'
import { packTexts, rangesOf } from './packed-texts'
import { runWorkerJob } from './pool'

const PIECE_CHARS = 1 << 20

export interface ParallelTrainOptions {
  tokens: number
  threads: number
  onProgress?: (progress: TokenizeProgress) => void
  signal?: AbortSignal
}

export async function trainBpeInWorkers(
  texts: readonly string[],
  options: ParallelTrainOptions,
): Promise<TrainedBpe> {
  const total = Math.max(0, options.tokens - 256)
  options.onProgress?.({ phase: 'train', done: 0, total })
  const counts = new Map<string, number>()
  const pieces = cutDocuments(texts, PIECE_CHARS)
  const packed = packTexts(pieces.map((piece) => piece.text))
  let first = 0
  await Promise.all(
    shardBySize(pieces, options.threads).map((shard) => {
      const ranges = rangesOf(packed, first, (first += shard.length))
      return runWorkerJob(
        { type: 'count', corpus: packed.buffer, ranges },
        (message) => {
          if (message.type !== 'counted') return false
          message.words.forEach((word, i) =>
            counts.set(word, (counts.get(word) ?? 0) + message.counts[i]),
          )
          return true
        },
        options.signal,
      )
    }),
  )

  const words = [...counts.keys()]
  const values = Float64Array.from(counts.values())
  counts.clear()
  let trained: TrainedBpe | undefined
  await runWorkerJob(
    { type: 'merge', words, counts: values, tokens: options.tokens },
    (message) => {
      if (message.type === 'merge-progress') {
        options.onProgress?.({ phase: 'train', done: message.done, total: message.total })
      } else if (message.type === 'merged') {
        const tokens = Array.from(message.ends, (end, id) =>
          message.bytes.slice(id === 0 ? 0 : message.ends[id - 1], end),
        )
        const merges: Array<[number, number]> = []
        for (let i = 0; i < message.merges.length; i += 2)
          merges.push([message.merges[i], message.merges[i + 1]])
        trained = { tokens, merges }
        return true
      }
      return false
    },
    options.signal,
    [values.buffer],
  )
  return trained as TrainedBpe
}
