/**
 * Entry of the tokenizer worker threads: counts words, learns merges and encodes texts for the
 * main thread (see pool.ts). Encoded ids go back one text at a time, in transferred buffers of
 * exactly their size, so a worker never holds more than one text's ids. A worker stays alive for
 * the next job until the pool ends it. Texts arrive as UTF-8 in shared memory and are decoded one
 * at a time.
 */
import { parentPort } from 'node:worker_threads'
import { countWords, learnMerges } from './bpe-trainer'
import { parseTokenizer } from './parse'
import { TokenBuffer } from './token-buffer'
import { unpackText } from './packed-texts'
import type { SharedTexts, WorkerJob, WorkerMessage } from './worker-protocol'

const port = parentPort
if (port === null) throw new Error('the tokenizer worker must run as a worker thread')

const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(message, transfer)

port.on('message', (job: WorkerJob) => {
  run(job).catch((error: unknown) =>
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
  )
})

async function run(job: WorkerJob): Promise<void> {
  if (job.type === 'count') {
    const counts = await countWords(sharedTexts(job))
    const values = Float64Array.from(counts.values())
    post({ type: 'counted', words: [...counts.keys()], counts: values }, [values.buffer])
  } else if (job.type === 'merge') {
    const words = new Map<string, number>()
    job.words.forEach((word, i) => words.set(word, job.counts[i]))
    const trained = await learnMerges(words, {
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
  } else {
    const tokenizer = parseTokenizer(job.tokenizer, 'the tokenizer')
    const narrow = tokenizer.vocabSize <= 65_536
    const out = new TokenBuffer(1 << 16)
    let index = 0
    for (const text of sharedTexts(job)) {
      out.length = 0
      tokenizer.encodeInto(text, out)
      const ids = narrow ? new Uint16Array(out.view()) : out.view().slice()
      const bytes = job.ranges[2 * index + 1] - job.ranges[2 * index]
      post({ type: 'piece', index: index++, ids, bytes }, [ids.buffer as ArrayBuffer])
    }
    post({ type: 'encoded' })
  }
}

/** The job's texts, decoded one at a time as they are needed. */
function* sharedTexts(job: SharedTexts): Generator<string> {
  for (let i = 0; i < job.ranges.length; i += 2)
    yield unpackText(job.corpus, job.ranges[i], job.ranges[i + 1])
}
