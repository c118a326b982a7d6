/**
 * The encoded dataset on disk, in the run folder: `tokens.bin` (the stream, little-endian Uint16 or
 * Uint32) and `dataset.json` (what it holds and the key it was built for). Both are written
 * atomically (temporary file, fsync, rename), tokens first, so a `dataset.json` always describes a
 * complete `tokens.bin`; the stream's SHA-256 is checked again when it is read back.
 */
import { createHash, randomBytes } from 'node:crypto'
import { open, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { ChatTokenCounts } from '../../../shared/chat'
import { SplitMethod, SplitSide, TokenizerKind } from '../../../shared/tokenizer'
import { tokenArrayFor, type TokenArray } from './encode'

export const MANIFEST_FILE = 'dataset.json'
export const TOKENS_FILE = 'tokens.bin'
export const DATASET_FORMAT = 1

export const DatasetManifest = z.object({
  format: z.literal(DATASET_FORMAT),
  /** What the dataset was built from and with (corpus, tokenizer request, split settings). */
  key: z.string(),
  /** Corpus + tokenizer identity, for detecting a changed corpus on resume. */
  fingerprint: z.string(),
  corpus: z.object({
    hash: z.string(),
    documents: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
  }),
  tokenizer: z.object({
    kind: TokenizerKind,
    vocabSize: z.number().int().positive(),
    endOfText: z.number().int().nonnegative(),
    hash: z.string(),
    file: z.string(),
  }),
  tokens: z.object({
    file: z.string(),
    dtype: z.enum(['uint16', 'uint32']),
    count: z.number().int().nonnegative(),
    sha256: z.string(),
  }),
  split: z.object({
    seed: z.number().int(),
    fraction: z.number(),
    validationStart: z.number().int().nonnegative(),
    /** Segments (whole documents with `files`) on the validation side. */
    validationDocuments: z.number().int().nonnegative(),
    /** Absent in datasets made before blocks existed: those split whole files. */
    method: SplitMethod.optional(),
    /** The block size of the `blocks` method, in characters. */
    blockChars: z.number().int().positive().optional(),
    /** What each side holds (absent in older datasets: worked out from `documents` when read). */
    train: SplitSide.optional(),
    validation: SplitSide.optional(),
  }),
  /**
   * Segments in stream order: the document each comes from, where it starts and how many ids
   * (end-of-text excluded). With `files` a segment is a whole document; with `blocks` a document
   * may appear twice or more, its blocks on each side.
   */
  documents: z.array(
    z.object({
      path: z.string(),
      bytes: z.number().int().nonnegative(),
      start: z.number().int().nonnegative(),
      tokens: z.number().int().nonnegative(),
      split: z.enum(['train', 'validation']),
    }),
  ),
  /** Chat data: conversations in windows of `windowTokens` (packed or padded), training windows first. */
  chat: z
    .object({
      template: z.string(),
      bosToken: z.string(),
      eosToken: z.string(),
      counts: ChatTokenCounts,
      /**
       * Per conversation, training ones first: its source line, its first token's offset in the stream
       * (absent in datasets from before packing, which had one conversation per window in this order),
       * its length there and the spans of targets with loss (relative to its first token).
       */
      windows: z.array(
        z.object({
          file: z.string(),
          line: z.number().int().positive(),
          split: z.enum(['train', 'validation']),
          start: z.number().int().nonnegative().optional(),
          length: z.number().int().nonnegative(),
          spans: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])),
        }),
      ),
    })
    .optional(),
  created: z.string(),
})
export type DatasetManifest = z.infer<typeof DatasetManifest>

export function tokensHash(tokens: TokenArray): string {
  return createHash('sha256')
    .update(new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength))
    .digest('hex')
}

/** The cached dataset in `runDir` if it was built for `key` (or passes it) and is intact; otherwise undefined. */
export async function readCachedDataset(
  runDir: string,
  key: string | ((manifest: DatasetManifest) => boolean),
): Promise<{ manifest: DatasetManifest; tokens: TokenArray } | undefined> {
  let manifest: DatasetManifest
  try {
    const parsed = DatasetManifest.safeParse(
      JSON.parse(await readFile(join(runDir, MANIFEST_FILE), 'utf8')),
    )
    if (!parsed.success) return undefined
    manifest = parsed.data
  } catch {
    return undefined
  }
  if (typeof key === 'string' ? manifest.key !== key : !key(manifest)) return undefined
  const width = manifest.tokens.dtype === 'uint16' ? 2 : 4
  const bytes = manifest.tokens.count * width
  const buffer = new SharedArrayBuffer(bytes)
  try {
    const file = await open(join(runDir, manifest.tokens.file), 'r')
    try {
      if ((await file.stat()).size !== bytes) return undefined
      let read = 0
      const view = new Uint8Array(buffer)
      while (read < bytes) {
        const { bytesRead } = await file.read(view, read, bytes - read, read)
        if (bytesRead === 0) return undefined
        read += bytesRead
      }
    } finally {
      await file.close()
    }
  } catch {
    return undefined
  }
  const tokens = tokenArrayFor(manifest.tokenizer.vocabSize, manifest.tokens.count, buffer)
  if (tokensHash(tokens) !== manifest.tokens.sha256) return undefined
  return { manifest, tokens }
}

/** Writes tokens.bin, then dataset.json, each atomically. */
export async function writeDataset(
  runDir: string,
  manifest: DatasetManifest,
  tokens: TokenArray,
): Promise<void> {
  await writeAtomic(
    join(runDir, manifest.tokens.file),
    new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength),
  )
  await writeAtomic(join(runDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
}

/** Writes a file so that readers see the old content or the new one, never a torn one. */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    const file = await open(temporary, 'w')
    try {
      await file.writeFile(data)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}
