/** Messages between the dataset encoder and its worker threads. */
export interface EncodeRequest {
  /** The tokenizer's file content (`tokenizer.json` or `vocab.txt`). */
  tokenizer: string
  texts: string[]
  /** Total characters of `texts`, to size the output buffer. */
  chars: number
}

export type EncodeWorkerMessage =
  | { type: 'progress'; chars: number }
  | { type: 'done'; ids: Uint32Array; lengths: Uint32Array }
