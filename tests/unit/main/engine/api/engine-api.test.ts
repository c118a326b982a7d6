/**
 * The engine API end to end on the real engine: scan → tokenize → train → list checkpoints →
 * generate, as the UI drives it, with the access rules that keep the UI to its folders.
 */
import { copyFile, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngineApi, type EngineApi } from '../../../../../src/main/engine/api/engine-api'
import { generateFromCheckpoint, openCheckpointModel } from '../../../../../src/main/engine/session/from-checkpoint'
import type { EngineEvent, MethodName, MethodOutput } from '../../../../../src/shared/contract'

const sampleCorpus = resolve('resources/sample-corpus')
const context = { transport: 'test' } as const

let checkpointDir: string
let api: EngineApi
const events: EngineEvent[] = []

beforeAll(async () => {
  checkpointDir = await mkdtemp(join(tmpdir(), 'cllm-api-'))
  api = createEngineApi({
    transport: 'websocket',
    version: 'test',
    sampleCorpus,
    checkpointDir,
    mayRead: (folder) => folder === sampleCorpus,
  })
  api.events.subscribe((event) => events.push(event))
})
afterAll(async () => {
  await api.shutdown()
  await rm(checkpointDir, { recursive: true, force: true })
})

async function call<M extends MethodName>(method: M, input: unknown): Promise<MethodOutput<M>> {
  const result = await api.dispatch(method, input, context)
  if (!result.ok) throw new Error(`${method}: ${result.error.code}: ${result.error.message}`)
  return result.value as MethodOutput<M>
}

async function failure(
  method: MethodName,
  input: unknown,
): Promise<{ code: string; message: string }> {
  const result = await api.dispatch(method, input, context)
  if (result.ok) throw new Error(`${method} should have failed`)
  return result.error
}

function waitFor(event: EngineEvent['event'], timeoutMs = 60_000): Promise<EngineEvent> {
  const seen = events.length
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} event`)), timeoutMs)
    const check = (message: EngineEvent) => {
      if (message.event !== event) return
      clearTimeout(timer)
      unsubscribe()
      resolvePromise(message)
    }
    const unsubscribe = api.events.subscribe(check)
    events.slice(seen).forEach(check)
  })
}

let tokenized: MethodOutput<'dataset.prepare'>

describe('engine API', () => {
  it('tells the UI about the machine and where runs go', async () => {
    const info = await call('app.info', {})
    expect(info).toMatchObject({ sampleCorpus, checkpointDir, canPickFolder: false })
    expect(info.totalMemoryBytes).toBeGreaterThan(0)
  })

  it('asks for a scan before tokenizing', async () => {
    expect((await failure('dataset.prepare', {})).message).toMatch(/Scan a folder/)
  })

  it('refuses folders the platform does not allow', async () => {
    expect((await failure('corpus.scan', { folder: tmpdir() })).code).toBe('forbidden')
    expect((await failure('training.start', { folder: tmpdir() })).code).toBe('forbidden')
  })

  it('tokenizes the scanned corpus from memory, with progress and a preview', async () => {
    const scan = await call('corpus.scan', { folder: sampleCorpus })
    const progressBefore = events.filter((e) => e.event === 'dataset.progress').length
    const prepared = await call('dataset.prepare', {
      vocabSize: 300,
      previewPath: scan.files[1].path,
    })
    expect(prepared.vocabSize).toBe(300)
    expect(prepared.trainTokens + prepared.valTokens).toBeLessThanOrEqual(prepared.totalTokens)
    expect(prepared.bytesPerToken).toBeGreaterThan(1)
    expect(prepared.preview?.path).toBe(scan.files[1].path)
    expect(prepared.preview?.pieces.join('')).toBe(
      api.lastCorpus()!.documents[1].text.slice(0, 3000),
    )
    expect(events.filter((e) => e.event === 'dataset.progress').length).toBeGreaterThan(
      progressBefore,
    )
    // The same settings again reuse the cached dataset.
    expect((await call('dataset.prepare', { vocabSize: 300 })).reused).toBe(true)
    tokenized = prepared
  })

  it('refuses an impossible config naming the field, before any work', async () => {
    const error = await failure('training.start', {
      folder: sampleCorpus,
      config: { model: { embedDim: 64, numHeads: 3 } },
    })
    expect(error.code).toBe('invalid-config')
    expect(error.message).toMatch(/numHeads|heads/)
    expect((await call('training.status', {})).run).toBeNull()
  })

  let checkpoint: string
  it('trains a run, one at a time, on the dataset Tokenize built, and lists its checkpoints', async () => {
    const finished = waitFor('training.finished')
    const started = waitFor('training.started')
    const { runId } = await call('training.start', {
      folder: sampleCorpus,
      config: { model: { vocabSize: 300 }, training: { maxSteps: 6, threads: 2, checkpointInterval: 3 } },
    })
    // Held (a pause asked while it prepares: it waits before its first step), so it is surely still
    // active for the two checks below, however fast the machine; then let go.
    await call('training.pause', { runId })
    // A page that reloads mid-run gets the run's own config, not its form's.
    expect((await call('training.status', {})).run).toMatchObject({ runId, folder: sampleCorpus, config: { model: { vocabSize: 300 } } })
    expect((await failure('training.start', { folder: sampleCorpus })).code).toBe('busy')
    await call('training.resume', { runId })
    const end = (await finished).payload as {
      state: string
      step: number
      checkpoint: string | null
    }
    expect(end).toMatchObject({ state: 'done', step: 6 })
    // Same settings as the Tokenize step: encoded once, the same split.
    const run = (await started).payload as { trainTokens: number; valTokens: number; runId: string }
    expect([run.trainTokens, run.valTokens]).toEqual([tokenized.trainTokens, tokenized.valTokens])
    const cached = events.filter((e) => e.event === 'training.prepare' && e.payload.runId === runId && e.payload.phase === 'dataset' && e.payload.done)
    expect((cached[0]?.payload as { detail: string }).detail).toMatch(/from the cache$/)
    expect(events.some((e) => e.event === 'training.progress')).toBe(true)
    expect((await call('training.status', {})).run).toBeNull()

    const listing = await call('checkpoints.list', {})
    const files = listing.runs.flatMap((run) => run.checkpoints)
    expect(files.map((file) => file.kind)).toContain('final')
    checkpoint = files.find((file) => file.kind === 'final')!.path
    expect(checkpoint.startsWith(checkpointDir)).toBe(true)
  })

  it('generates from a checkpoint, streaming the text', async () => {
    const requestId = 'r1'
    const before = events.length
    const result = await call('generate.run', {
      checkpoint,
      requestId,
      prompt: 'The ',
      maxTokens: 20,
      temperature: 0,
    })
    const streamed = events
      .slice(before)
      .filter((e) => e.event === 'generate.text' && e.payload.requestId === requestId)
      .map((e) => (e.payload as { text: string }).text)
      .join('')
    expect(streamed).toBe(result.text)
    expect(result.tokens).toBeGreaterThan(0)
  })

  it('a different file at the same path (a run deleted, a new one under its name) is read anew, not the model it had loaded', async () => {
    const settings = { prompt: 'The ', maxTokens: 40, temperature: 1, seed: 7 }
    const before = await call('generate.run', { checkpoint, requestId: 'same-path-1', ...settings })
    const listing = await call('checkpoints.list', {})
    const step3 = listing.runs.flatMap((run) => run.checkpoints).find((file) => file.kind !== 'final')!.path
    const other = await openCheckpointModel(step3)
    const expected = await generateFromCheckpoint(other, settings).finally(() => other.close())
    // The two files write different text, or this test could not tell them apart.
    expect(expected.text).not.toBe(before.text)
    await rename(checkpoint, `${checkpoint}.kept`)
    try {
      await copyFile(step3, checkpoint)
      const after = await call('generate.run', { checkpoint, requestId: 'same-path-2', ...settings })
      expect(after.text).toBe(expected.text)
    } finally {
      await rename(`${checkpoint}.kept`, checkpoint)
    }
  })

  it('exports a checkpoint as a Hugging Face folder and as GGUF into exports/, never into the run', async () => {
    const runFiles = await readdir(join(checkpoint, '..'))
    const hf = await call('checkpoints.export', { checkpoint, format: 'hf' })
    expect(hf.outDir.startsWith(join(checkpointDir, 'exports'))).toBe(true)
    expect(hf.files.map((f) => f.name)).toContain('model.safetensors')
    const gguf = await call('checkpoints.export', { checkpoint, format: 'gguf', precision: 'f16' })
    expect(gguf.files.map((f) => f.name)).toEqual([expect.stringMatching(/-final_model-f16\.gguf$/), expect.stringMatching(/-final_model-f16\.Modelfile$/)])
    expect((await readFile(gguf.files[0].path)).subarray(0, 4).toString('latin1')).toBe('GGUF')
    expect(await readdir(join(checkpoint, '..'))).toEqual(runFiles)
    // Still one run in the listing: the exports folder is not mistaken for a run.
    expect((await call('checkpoints.list', {})).runs).toHaveLength(1)
    const outside = await failure('checkpoints.export', { checkpoint, format: 'hf', outDir: tmpdir() })
    expect(outside.code).toBe('forbidden')
    const bad = await failure('checkpoints.export', { checkpoint, format: 'onnx' })
    expect(bad.code).toBe('invalid-input')
  })

  it('reads checkpoints only from its checkpoint folder', async () => {
    const outside = join(tmpdir(), 'elsewhere.safetensors')
    expect((await failure('generate.run', { checkpoint: outside, requestId: 'x' })).code).toBe(
      'forbidden',
    )
    const resume = await failure('training.start', { folder: sampleCorpus, resume: outside })
    expect(resume.code).toBe('forbidden')
    // A model to start from: a picked (readable) folder or one of the runs' checkpoints, nothing else.
    const initFrom = await failure('training.start', { folder: sampleCorpus, initFrom: tmpdir() })
    expect(initFrom.code).toBe('forbidden')
    // This API has no folder dialog (the browser build): the message does not send the user to one.
    expect(initFrom.message).toMatch(/Type the model's folder inside a folder this studio may read, or name a checkpoint of your runs/)
    expect(initFrom.message).not.toMatch(/picker/)
  })
})
