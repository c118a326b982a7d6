/** A growable Uint32 array: where encoders append ids without building a JS array per document. */
export class TokenBuffer {
  private data: Uint32Array
  length = 0

  constructor(capacity = 1024) {
    this.data = new Uint32Array(Math.max(16, capacity))
  }

  push(id: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1)
    this.data[this.length++] = id
  }

  /** Appends `source[start, start + count)`. */
  pushFrom(source: Uint32Array | Int32Array, start: number, count: number): void {
    if (this.length + count > this.data.length) this.grow(this.length + count)
    const data = this.data
    let at = this.length
    for (let i = start, end = start + count; i < end; i++) data[at++] = source[i]
    this.length = at
  }

  /** The ids so far (a view: later pushes may or may not show through it). */
  view(): Uint32Array {
    return this.data.subarray(0, this.length)
  }

  toArray(): number[] {
    return Array.from(this.view())
  }

  private grow(needed: number): void {
    const next = new Uint32Array(Math.max(needed, this.data.length * 2))
    next.set(this.data.subarray(0, this.length))
    this.data = next
  }
}
