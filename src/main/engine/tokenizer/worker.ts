/**
 * Entry of the tokenizer worker threads: counts words, learns merges and encodes texts for the
 * calling thread (see pool.ts). Texts arrive as UTF-8 in shared memory and are decoded one at a
 * time; encoded ids go to a shared id buffer the caller reads. A worker stays alive for the next
 * job until the pool ends it, and keeps its word cache's memory (emptied) for that job.
 */
import { parentPort } from 'node:worker_threads'
import { learnMerges } from './bpe-trainer'
import { encoderFromSpec } from './encoder-spec'
import { textReader } from './packed-texts'
import {
  IdSink,
  PieceLedger,
  copyOwnPieces,
  encodeClaimedPieces,
  idView,
  partOf,
} from './piece-ledger'
import { WordCache } from './word-cache'
import { WordCounter } from './word-counter'
import type { WorkerJob, WorkerMessage } from './worker-protocol'

const port = parentPort
if (port === null) throw new Error('the tokenizer worker must run as a worker thread')

const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(message, transfer)

let cache: WordCache | undefined
/** The encode step done last, until its write step. */
let encoded: { ledger: PieceLedger; owner: number; sink: IdSink } | undefined

port.on('message', (job: WorkerJob) => {
  run(job).catch((error: unknown) =>
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
  )
})

async function run(job: WorkerJob): Promise<void> {
  if (job.type === 'count') {
    const text = textReader(job.texts)
    const claims = new Int32Array(job.claims)
    const counter = new WordCounter()
    const pieces = job.texts.ends.length
    for (let p = Atomics.add(claims, 0, 1); p < pieces; p = Atomics.add(claims, 0, 1))
      counter.countText(text(p))
    const { words, counts } = counter.entries()
    post({ type: 'counted', words, counts }, [counts.buffer])
  } else if (job.type === 'merge') {
    const trained = await learnMerges(job, {
      tokens: job.tokens,
      onProgress: ({ done, total }) => post({ type: 'merge-progress', done, total }),
    })
    const ends = new Uint32Array(trained.tokens.length)
    let length = 0
    trained.tokens.forEach((token, id) => (ends[id] = length += token.length))
    const bytes = new Uint8Array(length)
    trained.tokens.forEach((token, id) => bytes.set(token, ends[id] - token.length))
    const merges = Int32Array.from(trained.merges.flat())
    post({ type: 'merged', bytes, ends, merges }, [bytes.buffer, ends.buffer, merges.buffer])
  } else if (job.type === 'encode') {
    cache ??= new WordCache()
    cache.clear() // every job starts cold, whatever ran before
    const ledger = new PieceLedger(job.ledger)
    const sink = new IdSink(job.ids, job.wide)
    const text = textReader(job.texts)
    await encodeClaimedPieces({
      ledger,
      owner: job.owner,
      encoder: encoderFromSpec(job.encoder, cache),
      sink,
      text,
      part: (i) => partOf(job.parts[i]),
      bytes: (i) => job.texts.ends[i] - (i === 0 ? 0 : job.texts.ends[i - 1]),
    })
    encoded = { ledger, owner: job.owner, sink }
    post({ type: 'encoded', grown: sink.buffer === job.ids ? undefined : sink.buffer })
  } else {
    if (encoded === undefined) throw new Error('a write step came without its encode step')
    const { ledger, owner, sink } = encoded
    encoded = undefined
    copyOwnPieces(ledger, owner, sink.view(), idView(job.stream, sink.wide), job.offsets)
    post({ type: 'written' })
  }
}
