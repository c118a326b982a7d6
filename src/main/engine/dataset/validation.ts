/**
 * A run's validation split as tokens, read back from the dataset cached in its folder: what
 * Evaluate scores by default (text the run was never trained on, cut exactly as training cut it).
 */
import type { TokenArray } from './encode'
import { readCachedDataset } from './cache'
import { layoutOf } from './prepare'
import { chatMask, chatPositionsOf, chatSplit } from './prepare-chat'
import { splitRanges } from './split'

/** Undefined when the folder holds no intact dataset. Chat datasets: cachedChatValidation (their windows need the mask). */
export async function cachedValidationTokens(runDir: string, seqLen: number): Promise<TokenArray | undefined> {
  const cached = await readCachedDataset(runDir, () => true)
  if (!cached) return undefined
  const { validation } = splitRanges(layoutOf(cached.manifest), seqLen)
  return cached.tokens.subarray(validation.start, validation.end)
}

/**
 * A chat run's held-out conversations: the whole stream with its loss mask and (packed) positions,
 * and the starts of the validation windows. Undefined when the folder holds no intact chat dataset.
 */
export async function cachedChatValidation(runDir: string): Promise<
  { tokens: TokenArray; starts: number[]; mask: Uint8Array; positions?: Uint16Array; conversations: number; lossOn: string } | undefined
> {
  const cached = await readCachedDataset(runDir, () => true)
  if (!cached?.manifest.chat) return undefined
  const { manifest, tokens } = cached
  const width = manifest.chat!.counts.windowTokens
  const { validation } = chatSplit(manifest)
  const starts: number[] = []
  for (let start = validation.start; start + width <= validation.end; start += width) starts.push(start)
  const positions = chatPositionsOf(manifest)
  return {
    tokens, starts, mask: chatMask(manifest), ...(positions ? { positions } : {}),
    conversations: Math.max(1, manifest.chat!.counts.validationConversations),
    lossOn: manifest.chat!.counts.lossOn,
  }
}

