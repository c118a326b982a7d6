/**
 * What differs between the corpus a run was trained on and another one offered for resuming it,
 * in one sentence: the folder, the number of files and the size. A resume on changed text is a
 * deliberate choice, so the dialog says what the change is before the engine is asked.
 */
import { formatBytes } from '../../shared/units'
import { formatCount } from './format'

export interface CorpusSide {
  folder: string
  /** Unknown for a run recorded before run.json kept its corpus's size. */
  files?: number | null
  bytes?: number | null
}

const plural = (n: number, word: string) => `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`

/** Null when nothing known differs. */
export function corpusDifference(trainedOn: CorpusSide, other: CorpusSide): string | null {
  const parts: string[] = []
  if (other.folder !== trainedOn.folder) parts.push('another folder')
  const known = (side: CorpusSide) => typeof side.files === 'number' && typeof side.bytes === 'number'
  if (known(trainedOn) && known(other)) {
    const [a, b] = [trainedOn.files!, other.files!]
    if (a !== b) parts.push(`${plural(b, 'file')} instead of ${formatCount(a)} (${b > a ? '+' : '−'}${formatCount(Math.abs(b - a))})`)
    if (trainedOn.bytes !== other.bytes) {
      const [was, now] = [formatBytes(trainedOn.bytes!), formatBytes(other.bytes!)]
      // A small edit rounds away: then the exact counts.
      parts.push(was === now ? `${formatCount(other.bytes!)} bytes instead of ${formatCount(trainedOn.bytes!)}` : `${now} instead of ${was}`)
    }
  } else if (parts.length > 0) {
    parts.push(`${known(other) ? `${plural(other.files!, 'file')}, ${formatBytes(other.bytes!)}` : 'its size unknown'}; the run's size was not recorded`)
  }
  if (parts.length === 0) return null
  const sentence = parts.join(', ')
  return sentence.charAt(0).toUpperCase() + sentence.slice(1)
}
