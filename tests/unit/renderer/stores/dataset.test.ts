import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useCorpusStore } from '../../../../src/renderer/src/stores/corpus'
import { useDatasetStore } from '../../../../src/renderer/src/stores/dataset'
import { useRunConfigStore } from '../../../../src/renderer/src/stores/run-config'
import { loadCorpus } from '../../../../src/main/engine/corpus'
import { prepareDataset } from '../../../../src/main/engine/dataset'
import { connectStoresToEngine } from '../engine-fixture'
import { sampleCorpus } from '../store-helpers'

const engine = connectStoresToEngine({ mayRead: [sampleCorpus] })

describe('dataset store (the Tokenize step)', () => {
  it('shows the counts the engine computes, with progress, and a chosen file as tokens', async () => {
    const corpus = useCorpusStore()
    await corpus.scan(sampleCorpus)
    const dataset = useDatasetStore()
    const phases = new Set<string>()
    const seen = engine().client()
    seen.on('dataset.progress', (progress) => phases.add(progress.phase))
    await dataset.tokenize()
    expect(dataset.status).toBe('done')
    expect(dataset.current).toBe(true)

    const loaded = await loadCorpus({ folder: sampleCorpus })
    const dir = await mkdtemp(join(tmpdir(), 'cllm-dataset-store-'))
    try {
      const direct = await prepareDataset({
        documents: loaded.documents,
        tokenizer: { kind: 'bpe', vocabSize: 500 },
        runDir: dir,
        seqLen: 32,
        // The Train form's seed and validation share: the split the run will train on.
        seed: 42,
        validationFraction: 0.1,
      })
      expect(dataset.result).toMatchObject(direct.summary)
      const file = loaded.documents[5]
      await dataset.showPreview(file.path)
      const ids = [...direct.tokenizer.encode(file.text.slice(0, 3000))]
      expect(dataset.result?.preview).toEqual({
        path: file.path,
        ids,
        pieces: direct.tokenizer.pieces(ids),
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    if (!dataset.result?.reused) expect([...phases]).toEqual(['train', 'encode'])

    // Another vocabulary: the shown result no longer matches the settings until tokenized again.
    useRunConfigStore().form.vocabSize = 600
    expect(dataset.current).toBe(false)
    await dataset.tokenize()
    expect(dataset.result?.vocabSize).toBe(600)
  })

  it('refuses a vocabulary the tokenizer cannot have, before asking the engine', async () => {
    await useCorpusStore().scan(sampleCorpus)
    const dataset = useDatasetStore()
    useRunConfigStore().form.vocabSize = 100
    expect(dataset.vocabError).toMatch(/257/)
    await dataset.tokenize()
    expect(dataset.status).toBe('idle')
    useRunConfigStore().form.tokenizer = 'word'
    expect(dataset.vocabError).toBeNull()
  })

  it('forgets the result when another folder is scanned', async () => {
    const corpus = useCorpusStore()
    await corpus.scan(sampleCorpus)
    const dataset = useDatasetStore()
    await dataset.tokenize()
    expect(dataset.result).not.toBeNull()
    await corpus.scan(engine().corpus)
    expect(dataset.result).toBeNull()
    expect(dataset.status).toBe('idle')
  })
})
