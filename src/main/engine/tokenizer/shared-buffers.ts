/**
 * SharedArrayBuffers kept between jobs for reuse. Writing to pages this process has touched before
 * is many times cheaper than to fresh ones (a fresh page costs a fault; on a virtual machine ~3 ms
 * per MB, as much as encoding a sixth of that MB), so the packed text and the id buffers of one
 * job serve the next (training → encoding → the next encoding). Idle ones are let go after a while.
 */

/** Spare buffers are dropped after this long without a job. */
const IDLE_MS = 15_000
/** At most this many bytes are kept spare (larger corpora allocate anew each time). */
const MAX_SPARE_BYTES = 128 << 20
/** The smallest buffer handed out (small jobs then share the same few). */
const MIN_BYTES = 64 << 10

const spare: SharedArrayBuffer[] = []
let idleTimer: NodeJS.Timeout | undefined

/** A buffer of at least `bytes` bytes: the smallest spare one that fits, or a new one. Contents are stale. */
export function takeBuffer(bytes: number): SharedArrayBuffer {
  let best = -1
  spare.forEach((buffer, i) => {
    if (buffer.byteLength >= bytes && (best < 0 || buffer.byteLength < spare[best].byteLength))
      best = i
  })
  if (best >= 0) return spare.splice(best, 1)[0]
  return new SharedArrayBuffer(Math.max(MIN_BYTES, bytes))
}

/**
 * Offers buffers for reuse once no thread will touch them again (never after a failed job, where a
 * worker may still be writing). The largest are kept, up to MAX_SPARE_BYTES.
 */
export function giveBack(...buffers: SharedArrayBuffer[]): void {
  for (const buffer of buffers) if (!spare.includes(buffer)) spare.push(buffer)
  spare.sort((a, b) => b.byteLength - a.byteLength)
  let kept = 0
  for (let i = 0; i < spare.length; i++) {
    if (kept + spare[i].byteLength > MAX_SPARE_BYTES) spare.splice(i--, 1)
    else kept += spare[i].byteLength
  }
  clearTimeout(idleTimer)
  idleTimer = setTimeout(() => spare.splice(0), IDLE_MS)
  idleTimer.unref()
}

/** Bytes held spare now (tests). */
export function spareBytes(): number {
  return spare.reduce((sum, buffer) => sum + buffer.byteLength, 0)
}
