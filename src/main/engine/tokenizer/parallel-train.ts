/**
 * BPE training on several threads: the calling thread and `threads - 1` pooled workers count the
 * words of the corpus together, each claiming the next piece from a shared counter (the workers
 * read the pieces from one shared UTF-8 copy); the counts are summed here and a worker learns the
 * merges. The result equals single-threaded training (the merge order depends on the counts
 * only), and the calling thread stays free while the merges are learned.
 */
import type { TokenizeProgress } from '../../../shared/tokenizer'
import type { TrainedBpe } from './bpe-trainer'
import { cutDocuments } from './chunks'
import { packTexts } from './packed-texts'
import { runWorkerJob, warmWorkers } from './pool'
import { giveBack } from './shared-buffers'
import { WordCounter } from './word-counter'
import { createYielder, throwIfCancelled } from './yield'

/** Pieces of a few milliseconds of counting, so that the threads finish close together. */
const PIECE_CHARS = 1 << 16

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
  throwIfCancelled(options.signal)
  const pieces = cutDocuments(texts, PIECE_CHARS)
  const counter = new WordCounter()
  await warmWorkers(options.threads - 1)
  const packed = packTexts(pieces.map((piece) => piece.text))
  const claims = new Int32Array(new SharedArrayBuffer(4))
  const jobs = Array.from({ length: options.threads - 1 }, () =>
    runWorkerJob(
      { type: 'count', texts: packed, claims: claims.buffer as SharedArrayBuffer },
      (message) => {
        if (message.type !== 'counted') return false
        message.words.forEach((word, i) => counter.add(word, message.counts[i]))
        return true
      },
      options.signal,
    ),
  )
  const counted = Promise.all(jobs)
  counted.catch(() => undefined) // awaited below, unless this thread fails first
  const maybeYield = createYielder(options.signal)
  for (let p = Atomics.add(claims, 0, 1); p < pieces.length; p = Atomics.add(claims, 0, 1)) {
    counter.countText(pieces[p].text)
    const pause = maybeYield()
    if (pause) await pause
  }
  await counted
  giveBack(packed.buffer) // encoding packs its texts into it next

  const { words, counts } = counter.entries()
  let trained: TrainedBpe | undefined
  await runWorkerJob(
    { type: 'merge', words, counts, tokens: options.tokens },
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
    [counts.buffer],
  )
  return trained as TrainedBpe
}
