/**
 * A small corpus on disk for session tests: sentences drawn from a fixed word list with a seeded
 * generator, so each run sees the same files. Written to a fresh temp folder per call.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type {
  TrainingEvent,
  TrainingEventName,
  TrainingEventPayload,
} from '../../../../../src/shared/training'
import type { TrainingSession } from '../../../../../src/main/engine/session'
import { seededUniform } from '../../../support/random'

const WORDS = (
  'the cat sat on a mat and the dog ran to the park while birds sang in old trees near quiet rivers ' +
  'under blue skies a small boat drifted past green hills where children played'
).split(' ')

export function sentences(seed: number, count: number): string {
  const random = seededUniform(seed)
  const out: string[] = []
  for (let s = 0; s < count; s++) {
    const length = 5 + Math.floor(random() * 8)
    const words = Array.from({ length }, () => WORDS[Math.floor(random() * WORDS.length)])
    out.push(words.join(' ').replace(/^./, (c) => c.toUpperCase()) + '.')
  }
  return out.join(' ') + '\n'
}

export interface Workspace {
  root: string
  corpus: string
  checkpoints: string
  cleanup(): Promise<void>
}

/** A temp folder with `corpus/` (files × sentences) and an empty `checkpoints/` beside it. */
export async function workspace(files = 6, sentencesPerFile = 300): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'cllm-session-'))
  const corpus = join(root, 'corpus')
  const checkpoints = join(root, 'checkpoints')
  await mkdir(corpus)
  for (let i = 0; i < files; i++)
    await writeFile(join(corpus, `doc${i}.txt`), sentences(i + 1, sentencesPerFile))
  return { root, corpus, checkpoints, cleanup: () => rm(root, { recursive: true, force: true }) }
}

/** Every event of a session, in order, with the time it arrived. */
export function record(session: TrainingSession): Array<TrainingEvent & { at: number }> {
  const events: Array<TrainingEvent & { at: number }> = []
  session.on((event) => events.push({ ...event, at: performance.now() }))
  return events
}

export function payloads<E extends TrainingEventName>(
  events: ReadonlyArray<TrainingEvent>,
  name: E,
): Array<TrainingEventPayload<E>> {
  return events
    .filter((event) => event.event === name)
    .map((event) => event.payload as TrainingEventPayload<E>)
}
