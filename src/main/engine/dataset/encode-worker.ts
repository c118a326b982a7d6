/**
 * Worker entry: encodes a shard of text pieces with the tokenizer it is given (as its file) and
 * sends back all ids in one transferable buffer plus each piece's length. Progress (characters done)
 * is posted as it goes.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { parseTokenizer, TokenBuffer } from '../tokenizer'
import type { EncodeRequest, EncodeWorkerMessage } from './encode-protocol'

const PROGRESS_EVERY_CHARS = 1 << 18

const request = workerData as EncodeRequest
const port = parentPort
if (port === null) throw new Error('encode-worker must run as a worker thread')

const post = (message: EncodeWorkerMessage, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(message, transfer)
const tokenizer = parseTokenizer(request.tokenizer, 'the tokenizer')
const out = new TokenBuffer(Math.ceil(request.chars / 3))
const lengths = new Uint32Array(request.texts.length)
let pending = 0
request.texts.forEach((text, i) => {
  const before = out.length
  tokenizer.encodeInto(text, out)
  lengths[i] = out.length - before
  pending += text.length
  if (pending >= PROGRESS_EVERY_CHARS) {
    post({ type: 'progress', chars: pending })
    pending = 0
  }
})
if (pending > 0) post({ type: 'progress', chars: pending })
const ids = out.view().slice()
post({ type: 'done', ids, lengths }, [ids.buffer, lengths.buffer])
