/**
 * What several campaigns set up the same way: a tiny run trained on a small corpus (the checkpoint
 * they attack), and a snapshot of a folder that shows any write or delete in it.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { createSession } from '../../../src/main/engine/session'

/** Every file under `dir` with its size and modification time, sorted: equal snapshots, nothing written. */
export function fileSnapshot(dir: string): string {
  const lines: string[] = []
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name)
      if (entry.isDirectory()) walk(path)
      else {
        const info = statSync(path, { throwIfNoEntry: false })
        lines.push(`${relative(dir, path)} ${info?.size} ${info?.mtimeMs}`)
      }
    }
  }
  walk(dir)
  return lines.sort().join('\n')
}

/**
 * Writes a four-file corpus of `line` into `corpus` (made when missing) and trains a 3-step run of a
 * 1-layer model on it into `checkpointDir`; returns its final checkpoint.
 */
export async function trainTinyRun(corpus: string, checkpointDir: string, runName: string, line: string): Promise<string> {
  mkdirSync(corpus, { recursive: true })
  for (let i = 0; i < 4; i++) writeFileSync(join(corpus, `part${i}.txt`), line.repeat(40))
  const session = await createSession({
    folder: corpus,
    sample: false,
    config: {
      model: { vocabSize: 300, embedDim: 16, numLayers: 1, numHeads: 2, seqLen: 8 },
      training: { threads: 1, batchSize: 2, maxSteps: 3 },
      paths: { checkpointDir, runName },
    },
  })
  const finished = await session.run()
  if (!finished.checkpoint) throw new Error(`the run for the campaign failed: ${finished.message}`)
  return finished.checkpoint
}
