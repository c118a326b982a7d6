/**
 * The corpus loader: turns a folder into training text. Scans it recursively in a fixed order,
 * leaves out what is not usable text (each with a reason), and reads every accepted file once.
 *
 * Counts per file: bytes as on disk; chars are Unicode code points of the decoded text (a leading
 * byte-order mark excluded); lines are the '\n' count, plus one when the last line has none.
 *
 * Memory: small ASCII files are decoded together, ~4 MB at a time, and their texts are slices of
 * one string (ascii-chunk.ts), so keeping one document alive keeps its chunk alive.
 */
import type { ScanOptions } from '../../../shared/corpus'
import type { CorpusFs } from './corpus-fs'
import { loadCorpusWith, type LoadedCorpus, type LoadHooks } from './load'

export type { CorpusFs } from './corpus-fs'
export type { LoadedCorpus, LoadedDocument, LoadHooks } from './load'

/**
 * Throws UserError: 'not-found', 'not-a-folder', 'unreadable' (the folder), 'no-usable-text',
 * 'cancelled' (through hooks.signal), 'invalid-input' (bad options).
 */
export function loadCorpus(options: ScanOptions, hooks?: LoadHooks, fs?: CorpusFs): Promise<LoadedCorpus> {
  return loadCorpusWith(options, hooks, fs)
}
