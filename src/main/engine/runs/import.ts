/**
 * Bringing a run back: a run folder written elsewhere (a job's `train.py` on a GPU box or a cluster,
 * or another studio) is checked whole, then copied into the checkpoint folder as a new run.
 *
 * Checked before anything is written: every entry is a plain file (a link, a folder, a FIFO, a
 * socket or a device is refused), run.json is valid, every metrics.jsonl line is a metrics record,
 * every checkpoint verifies as `cllm checkpoints --verify` does and agrees with run.json (config,
 * tokenizer, corpus fingerprint, the step in its name), and the lineage holds: a parent named in
 * run.json that is in the checkpoint folder must be the run it names (same model, the checkpoint's
 * SHA-256 when the file is still there); a parent that is not there is allowed — the run imports
 * and its history starts at the hand-off until the parent is there too — and the result says so.
 *
 * The copy goes to `<checkpoint dir>/.import/<pid>-<hex>/` (two levels down, so no listing sees a
 * half-made run), each file's SHA-256 compared with the one checked (a file that changed meanwhile
 * is refused) and fsynced; then the folder is renamed into place under a free name. A refusal or a
 * failure removes the temporary folder: nothing is left half-imported, and the source is only read.
 */
import { createHash, randomBytes } from 'node:crypto'
import { constants, type Stats } from 'node:fs'
import { lstat, mkdir, open, readdir, rename, rm, rmdir, type FileHandle } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { MetricsRecord, RunInfo, type CheckpointMetadata } from '../../../shared/checkpoint'
import { UserError } from '../../../shared/errors'
import { RunImport, RunParent, type TrainedOn } from '../../../shared/runs'
import { TEMP_MARKER, writeFileAtomic } from '../checkpoints/atomic-write'
import { readCheckpointInfo, verifyCheckpoint } from '../checkpoints/format'
import { classifyCheckpointFile, FINAL_MODEL_FILE, METRICS_JSONL, RUN_JSON } from '../checkpoints/store'
import { isWithin, realPathOf } from '../containment'
import { DatasetManifest, MANIFEST_FILE, TOKENS_FILE } from '../dataset/cache'
import { createUniqueRunDir } from './folder'
import { LOCK_FILE } from './lock'

/** Where imports are assembled: hidden, and one level below what listings look at. */
export const IMPORT_STAGING = '.import'
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
const TOKENIZER_FILE = 'tokenizer.json'

export interface ImportProgress {
  phase: 'checking' | 'copying'
  /** The file being read, by name. */
  file: string
  bytesDone: number
  bytesTotal: number
}

export interface ImportOptions {
  /** The run folder to bring back (read only). */
  source: string
  /** The checkpoint folder it is copied into. */
  checkpointDir: string
  onProgress?: (progress: ImportProgress) => void
}

export interface ImportedRun {
  runDir: string
  name: string
  files: Array<{ name: string; bytes: number }>
  checkpoints: number
  /** The last step the run reached (its end, or its newest checkpoint). */
  step: number
  /** The parent in this checkpoint folder, or null when it has none or it is not here. */
  parentDir: string | null
  imported: RunImport
  /** What was allowed but is worth knowing (a missing parent, leftovers of a killed write not copied). */
  warnings: string[]
}

/** A refusal: the reason, and that nothing was copied. */
function refuse(source: string, reason: string): UserError {
  return new UserError('invalid-input', `Not imported: ${reason}. Nothing was copied from ${source}.`)
}

interface SourceFile {
  name: string
  path: string
  stats: Stats
  sha256?: string
}

/** Opens a file for reading without following a link or blocking on a FIFO, and checks it is the file listed. */
async function openListed(file: SourceFile, source: string): Promise<FileHandle> {
  const flags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)
  let handle: FileHandle
  try {
    handle = await open(file.path, flags)
  } catch (error) {
    throw refuse(source, `${file.name} could not be opened (${(error as NodeJS.ErrnoException).code ?? 'error'}); it may have been replaced by a link`)
  }
  const now = await handle.stat()
  if (!now.isFile() || now.ino !== file.stats.ino || now.dev !== file.stats.dev) {
    await handle.close()
    throw refuse(source, `${file.name} was replaced while it was being imported`)
  }
  return handle
}

/** A listed file's bytes; its SHA-256 is kept, so the copy can be compared with what was checked. */
async function readListed(file: SourceFile, source: string): Promise<Buffer> {
  const handle = await openListed(file, source)
  try {
    const bytes = await handle.readFile()
    file.sha256 = createHash('sha256').update(bytes).digest('hex')
    return bytes
  } finally {
    await handle.close()
  }
}

/** Streams a listed file through `each` in 1 MiB chunks; returns its SHA-256. */
async function streamListed(file: SourceFile, source: string, each: (chunk: Buffer) => Promise<void>): Promise<string> {
  const handle = await openListed(file, source)
  const hash = createHash('sha256')
  try {
    const buffer = Buffer.allocUnsafe(1 << 20)
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) break
      const chunk = buffer.subarray(0, bytesRead)
      hash.update(chunk)
      await each(chunk)
    }
  } finally {
    await handle.close()
  }
  return hash.digest('hex')
}

function kindOf(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link'
  if (stats.isDirectory()) return 'a folder (a run folder holds only files)'
  if (stats.isFIFO()) return 'a named pipe (FIFO)'
  if (stats.isSocket()) return 'a socket'
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device'
  return 'not a regular file'
}

/** The entries of the source: plain files to copy, and leftovers that are skipped (with why). */
async function listSource(source: string): Promise<{ files: SourceFile[]; skipped: string[] }> {
  const files: SourceFile[] = []
  const skipped: string[] = []
  for (const name of (await readdir(source)).sort()) {
    const path = join(source, name)
    const stats = await lstat(path)
    if (!stats.isFile()) throw refuse(source, `${name} is ${kindOf(stats)}`)
    if (name.includes(TEMP_MARKER)) {
      skipped.push(`${name} (left by a write that was interrupted)`)
      continue
    }
    if (name.startsWith('.')) {
      skipped.push(`${name} (a hidden file, such as a file manager's)`)
      continue
    }
    if (name === LOCK_FILE) {
      skipped.push(`${name} (the writer lock of the machine that trained it)`)
      continue
    }
    if (!PLAIN_NAME.test(name)) throw refuse(source, `${JSON.stringify(name)} is not a file name a run folder holds`)
    const kind = classifyCheckpointFile(name)
    if (kind?.kind === 'other') throw refuse(source, `${name} is not a checkpoint name the studio writes (checkpoint_step_<N>.safetensors or ${FINAL_MODEL_FILE})`)
    files.push({ name, path, stats })
  }
  return { files, skipped }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The first field where two JSON values differ, as `a.b.c`, or null when they are equal. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (isDeepStrictEqual(a, b)) return null
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
  if (isObject(a) && isObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const found = firstDifference(a[key], b[key], path ? `${path}.${key}` : key)
      if (found !== null) return found
    }
  }
  return path || '(the whole value)'
}

/** A config without what a checkpoint adds to its run's (the schedule it was saved under) and this machine's paths. */
function runConfigOf(config: Record<string, unknown>): Record<string, unknown> {
  const { schedule: _schedule, paths: _paths, ...rest } = config
  return rest
}

/**
 * Where it was trained, as its trainer recorded it: a job's train.py writes `job` (host, device,
 * world size, PyTorch version); `trainedOn` or top-level `host`/`device` are read too. Null when unsaid.
 */
function trainedOnOf(info: Record<string, unknown>): TrainedOn | null {
  const object = (v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined)
  const from = object(info.job) ?? object(info.trainedOn) ?? object(info.trained_on) ?? info
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.slice(0, 200) : undefined)
  const count = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined)
  const fields = { host: text(from.host), device: text(from.device), worldSize: count(from.worldSize ?? from.world_size), torch: text(from.torch) }
  const out = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as TrainedOn
  return Object.keys(out).length > 0 ? out : null
}

interface Checked {
  info: RunInfo & Record<string, unknown>
  checkpoints: Array<{ name: string; metadata: CheckpointMetadata }>
  parent: RunParent | null
  localParent: { runDir: string; checkpoint: string | null; corpusFolder?: string } | null
  /** The parent's dataset files to copy along (the source has none), read from the parent's folder. */
  fromParent: SourceFile[]
  step: number
  warnings: string[]
}

/** Everything but the copy: run.json, metrics, dataset, checkpoints, lineage. Throws the first refusal. */
async function checkRun(
  source: string,
  files: SourceFile[],
  checkpointDir: string,
  progress: (file: string, bytes: number) => void,
): Promise<Checked> {
  const byName = new Map(files.map((f) => [f.name, f]))
  const warnings: string[] = []
  const runFile = byName.get(RUN_JSON)
  if (!runFile) throw refuse(source, `it has no ${RUN_JSON}, so it is not a run folder`)
  const json = parseJson((await readListed(runFile, source)).toString('utf8'))
  if (json === undefined) throw refuse(source, `${RUN_JSON} is not valid JSON (a torn or truncated file)`)
  const parsed = RunInfo.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw refuse(source, `${RUN_JSON}: field "${issue.path.join('.')}" is invalid: ${issue.message}`)
  }
  const info = parsed.data as Record<string, unknown> & RunInfo
  let parent: RunParent | null = null
  if (info.parent !== undefined && info.parent !== null) {
    const p = RunParent.safeParse(info.parent)
    if (!p.success) throw refuse(source, `${RUN_JSON}: its parent record is invalid (field "${p.error.issues[0].path.join('.')}")`)
    parent = p.data
  }
  progress(RUN_JSON, runFile.stats.size)

  const metrics = byName.get(METRICS_JSONL)
  if (metrics) {
    const text = (await readListed(metrics, source)).toString('utf8')
    const lines = text.split('\n')
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() === '') continue
      const record = parseJson(lines[i])
      if (record === undefined || !MetricsRecord.safeParse(record).success) {
        const torn = i === lines.length - 1 && !text.endsWith('\n')
        throw refuse(source, `${METRICS_JSONL} line ${i + 1} is not a metrics record${torn ? ' (the file ends in a torn line)' : ''}`)
      }
    }
    progress(METRICS_JSONL, metrics.stats.size)
  }

  const manifestFile = byName.get(MANIFEST_FILE)
  if (manifestFile) {
    const manifest = DatasetManifest.safeParse(parseJson((await readListed(manifestFile, source)).toString('utf8')))
    if (!manifest.success) throw refuse(source, `${MANIFEST_FILE} is not a dataset description the studio reads`)
    const tokens = byName.get(manifest.data.tokens.file)
    if (manifest.data.tokens.file !== TOKENS_FILE || !tokens) throw refuse(source, `${MANIFEST_FILE} describes ${manifest.data.tokens.file}, which is not in the folder`)
    tokens.sha256 = await streamListed(tokens, source, async () => undefined)
    if (tokens.sha256 !== manifest.data.tokens.sha256) throw refuse(source, `${TOKENS_FILE} does not match the SHA-256 in ${MANIFEST_FILE} (a torn or changed file)`)
    progress(TOKENS_FILE, tokens.stats.size)
  }

  const checkpoints: Checked['checkpoints'] = []
  const runConfig = runConfigOf(info.config)
  for (const file of files) {
    const kind = classifyCheckpointFile(file.name)
    if (!kind) continue
    // Hashed first, so that the copy is compared with the bytes verified here.
    file.sha256 = await streamListed(file, source, async () => undefined)
    const verdict = await verifyCheckpoint(file.path).catch((error: Error) => ({ status: 'corrupt' as const, problem: error.message }))
    if (verdict.status === 'corrupt') throw refuse(source, `checkpoint ${file.name} does not verify: ${verdict.problem}`)
    const { metadata } = await readCheckpointInfo(file.path)
    if (kind.kind === 'step' && metadata.step !== kind.step) {
      throw refuse(source, `checkpoint ${file.name} holds step ${metadata.step}, not the step in its name`)
    }
    const differs = firstDifference(runConfig, runConfigOf(metadata.config))
    if (differs !== null) throw refuse(source, `the config contradicts itself: "config.${differs}" in ${RUN_JSON} is not the one in ${file.name}`)
    if (metadata.corpusFingerprint !== info.corpusFingerprint) {
      throw refuse(source, `the corpus fingerprint in ${file.name} is not the one in ${RUN_JSON} (trained on another corpus)`)
    }
    const first = checkpoints[0]?.metadata
    if (first && (first.tokenizer !== metadata.tokenizer || first.tokenizerKind !== metadata.tokenizerKind)) {
      throw refuse(source, `${file.name} holds another tokenizer than ${checkpoints[0].name}`)
    }
    if (parent && metadata.step < parent.step) {
      throw refuse(source, `checkpoint ${file.name} is at step ${metadata.step}, before step ${parent.step} where the run continues its parent`)
    }
    checkpoints.push({ name: file.name, metadata })
    progress(file.name, file.stats.size)
  }
  if (checkpoints.length === 0) throw refuse(source, 'it holds no checkpoint to resume, generate from or export')

  const tokenizerFile = byName.get(TOKENIZER_FILE)
  const stored = checkpoints[0].metadata
  if (tokenizerFile && stored.tokenizerKind === 'bpe') {
    const text = parseJson((await readListed(tokenizerFile, source)).toString('utf8'))
    if (!isDeepStrictEqual(text, parseJson(stored.tokenizer))) throw refuse(source, `${TOKENIZER_FILE} is not the tokenizer its checkpoints hold`)
  }
  const recordedTokenizer = info.tokenizer as { kind?: unknown; vocabSize?: unknown } | undefined
  if (recordedTokenizer?.kind !== undefined && recordedTokenizer.kind !== stored.tokenizerKind) {
    throw refuse(source, `${RUN_JSON} says tokenizer "${String(recordedTokenizer.kind)}" but its checkpoints hold a ${stored.tokenizerKind} tokenizer`)
  }

  const ended = info.ended as { step?: unknown } | undefined
  const final = checkpoints.find((c) => c.name === FINAL_MODEL_FILE)
  if (final && typeof ended?.step === 'number' && ended.step !== final.metadata.step) {
    throw refuse(source, `${RUN_JSON} says the run ended at step ${ended.step} but ${FINAL_MODEL_FILE} is at step ${final.metadata.step}`)
  }
  const step = Math.max(typeof ended?.step === 'number' ? ended.step : 0, ...checkpoints.map((c) => c.metadata.step))

  const localParent = parent ? await findParent(source, parent, info, checkpointDir, warnings) : null
  const hasDataset = byName.has(MANIFEST_FILE) || byName.has(TOKENS_FILE)
  const fromParent = localParent && !hasDataset ? (await parentDataset(localParent.runDir, info, stored, source)).filter((f) => !byName.has(f.name)) : []
  return { info, checkpoints, parent, localParent, fromParent, step, warnings }
}

/**
 * The parent in this checkpoint folder: by its folder name (the recorded absolute path is another
 * machine's). Present: it must be the run the import continues. Absent: allowed, with a warning.
 */
async function findParent(
  source: string,
  parent: RunParent,
  info: RunInfo,
  checkpointDir: string,
  warnings: string[],
): Promise<{ runDir: string; checkpoint: string | null; corpusFolder?: string } | null> {
  const name = parent.runName ?? null
  const missing = `its parent run ${name ?? parent.checkpoint} is not in ${checkpointDir}: the run is imported, and its history starts at step ${parent.step} until the parent is there`
  if (name === null || !PLAIN_NAME.test(name)) {
    warnings.push(missing)
    return null
  }
  const runDir = join(checkpointDir, name)
  const dirStats = await lstat(runDir).catch(() => null)
  const runJsonStats = dirStats?.isDirectory() ? await lstat(join(runDir, RUN_JSON)).catch(() => null) : null
  if (!runJsonStats?.isFile()) {
    warnings.push(missing)
    return null
  }
  const parentInfo = parseJson((await readListed({ name: RUN_JSON, path: join(runDir, RUN_JSON), stats: runJsonStats }, source)).toString('utf8'))
  const parentModel = RunInfo.safeParse(parentInfo)
  // The corpus the parent was trained on, here: what Resume offers for the imported run.
  const folder = (parentInfo as { corpusFolder?: unknown } | undefined)?.corpusFolder
  const corpusFolder = typeof folder === 'string' ? { corpusFolder: folder } : {}
  if (parentModel.success && !isDeepStrictEqual(parentModel.data.config.model, info.config.model)) {
    const field = firstDifference(parentModel.data.config.model, info.config.model)
    throw refuse(source, `the config contradicts its parent: "config.model.${field}" differs from the parent run ${name} in ${checkpointDir} (another run of that name?)`)
  }
  const file = basename(parent.checkpoint.replace(/\\/g, '/'))
  const checkpoint = join(runDir, file)
  const fileStats = PLAIN_NAME.test(file) ? await lstat(checkpoint).catch(() => null) : null
  if (!fileStats?.isFile()) {
    warnings.push(`its parent's checkpoint ${file} is no longer in ${name} (removed by retention?); the lineage is taken by the run's name`)
    return { runDir, checkpoint: null, ...corpusFolder }
  }
  const sha256 = await streamListed({ name: `${name}/${file}`, path: checkpoint, stats: fileStats }, source, async () => undefined)
  if (sha256 !== parent.sha256) {
    throw refuse(source, `its parent's checkpoint ${name}/${file} in ${checkpointDir} is not the file it continues (the SHA-256 differs: another run of that name?)`)
  }
  return { runDir, checkpoint, ...corpusFolder }
}

/**
 * The parent's encoded dataset (dataset.json, tokens.bin and the tokenizer file), when the imported
 * folder has none and the parent's is the one the run trained on (same corpus, tokenizer and split):
 * a job's train.py writes no dataset, and a studio run keeps one, so that resuming it here reuses
 * the tokens instead of encoding again and a job can be exported from it. Anything that does not fit
 * is left out (a resume then encodes the corpus again); tokens.bin is compared with its SHA-256 as it
 * is copied.
 */
async function parentDataset(parentDir: string, info: RunInfo, stored: CheckpointMetadata, source: string): Promise<SourceFile[]> {
  const listed = async (name: string): Promise<SourceFile | null> => {
    const path = join(parentDir, name)
    const stats = await lstat(path).catch(() => null)
    return stats?.isFile() && PLAIN_NAME.test(name) ? { name, path, stats } : null
  }
  const manifestFile = await listed(MANIFEST_FILE)
  if (!manifestFile) return []
  const manifest = DatasetManifest.safeParse(parseJson((await readListed(manifestFile, source)).toString('utf8')))
  if (!manifest.success) return []
  const { corpus, tokenizer, tokens, split } = manifest.data
  const training = (info.config as { training?: { seed?: unknown; valFraction?: unknown } }).training ?? {}
  const fits =
    corpus.hash === info.corpusFingerprint &&
    tokenizer.kind === stored.tokenizerKind &&
    tokenizer.vocabSize === stored.config.model.vocabSize &&
    (training.seed === undefined || training.seed === split.seed) &&
    (training.valFraction === undefined || training.valFraction === split.fraction) &&
    tokens.file === TOKENS_FILE
  const [tokensFile, tokenizerFile] = fits ? await Promise.all([listed(TOKENS_FILE), listed(tokenizer.file)]) : [null, null]
  if (!tokensFile || !tokenizerFile) return []
  const text = (await readListed(tokenizerFile, source)).toString('utf8')
  const same = stored.tokenizerKind === 'bpe' ? isDeepStrictEqual(parseJson(text), parseJson(stored.tokenizer)) : text === stored.tokenizer
  if (!same) return []
  tokensFile.sha256 = tokens.sha256
  return [manifestFile, tokensFile, tokenizerFile]
}

/** Removes assemblies left by an import whose process is gone (killed mid-copy). */
async function removeStaleStaging(staging: string): Promise<void> {
  for (const entry of await readdir(staging, { withFileTypes: true }).catch(() => [])) {
    const match = /^(\d+)-[0-9a-f]{12}$/.exec(entry.name)
    if (!match || !entry.isDirectory()) continue
    const pid = Number(match[1])
    let alive = pid === process.pid
    if (!alive) {
      try {
        process.kill(pid, 0)
        alive = true
      } catch (error) {
        alive = (error as NodeJS.ErrnoException).code === 'EPERM'
      }
    }
    if (!alive) await rm(join(staging, entry.name), { recursive: true, force: true }).catch(() => undefined)
  }
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r').catch(() => null)
  await handle?.sync().catch(() => undefined)
  await handle?.close().catch(() => undefined)
}

/**
 * Renames the assembled run onto the name claimed for it (an empty folder of ours): POSIX replaces
 * an empty folder in one step; where the system refuses (Windows), the empty folder goes first.
 */
async function moveIntoPlace(temp: string, claimed: string): Promise<void> {
  try {
    await rename(temp, claimed)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'EPERM' && code !== 'EEXIST' && code !== 'ENOTEMPTY' && code !== 'EACCES') throw error
    await rmdir(claimed)
    await rename(temp, claimed)
  }
}

/** A folder name for the import: the source's, made safe. */
function importBase(source: string, info: RunInfo): string {
  const stem = basename(source) || info.name
  const safe = stem.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[._-]+/, '') || 'imported-run'
  return safe.slice(0, 90)
}

/**
 * Checks a run folder written elsewhere and copies it into the checkpoint folder as a new run,
 * marked as imported. Refusals are UserErrors that name the reason; nothing is left behind.
 */
export async function importRun(options: ImportOptions): Promise<ImportedRun> {
  const source = resolve(options.source)
  const checkpointDir = resolve(options.checkpointDir)
  const top = await lstat(source).catch(() => null)
  if (!top) throw new UserError('not-found', `${source} does not exist.`)
  if (top.isSymbolicLink()) throw refuse(source, `${source} is a symbolic link; name the run folder itself`)
  if (!top.isDirectory()) throw new UserError('not-a-folder', `${source} is not a folder: name the run folder that train.py wrote (--out).`)
  // A run of the checkpoint folder is there already; a job's runs/ below it (a job trained on this
  // machine) may be imported. The checkpoint folder itself, or one holding it, is not a run.
  const [realSource, realRoot] = [realPathOf(source), realPathOf(checkpointDir)]
  if (dirname(realSource) === realRoot || isWithin(realSource, join(realRoot, IMPORT_STAGING))) {
    throw refuse(source, `it is already a run in the checkpoint folder ${checkpointDir}`)
  }
  if (isWithin(realRoot, realSource)) throw refuse(source, `it holds the checkpoint folder ${checkpointDir}; name one run folder`)

  const { files, skipped } = await listSource(source)
  const total = files.reduce((sum, f) => sum + f.stats.size, 0)
  // Every file is read to be checked, then copied: twice its bytes (plus a parent's dataset copied along).
  let bytesTotal = 2 * total
  let done = 0
  const report = (phase: ImportProgress['phase'], file: string, bytes: number) => {
    done += bytes
    options.onProgress?.({ phase, file, bytesDone: Math.min(done, bytesTotal), bytesTotal })
  }
  const checked = await checkRun(source, files, checkpointDir, (file, bytes) => report('checking', file, bytes))
  const warnings = [...checked.warnings, ...skipped.map((s) => `not copied: ${s}`)]
  done = total // every file checked (the files not read for the check count as checked too)
  bytesTotal += checked.fromParent.reduce((sum, f) => sum + f.stats.size, 0)

  const trainedOn = trainedOnOf(checked.info)
  const imported = RunImport.parse({
    at: new Date().toISOString(),
    from: source,
    host: hostname(),
    ...(trainedOn ? { trainedOn } : {}),
    ...(checked.parent ? { parentAsRecorded: checked.parent } : {}),
  })

  await mkdir(checkpointDir, { recursive: true })
  const staging = join(checkpointDir, IMPORT_STAGING)
  await mkdir(staging, { recursive: true })
  await removeStaleStaging(staging)
  const temp = join(staging, `${process.pid}-${randomBytes(6).toString('hex')}`)
  await mkdir(temp)
  let claimed: string | null = null
  try {
    const copied: ImportedRun['files'] = []
    for (const file of [...files, ...checked.fromParent]) {
      if (file.name === RUN_JSON) continue
      const out = await open(join(temp, file.name), 'wx')
      let sha256: string
      try {
        sha256 = await streamListed(file, source, async (chunk) => {
          let offset = 0
          while (offset < chunk.length) offset += (await out.write(chunk, offset)).bytesWritten
          report('copying', file.name, chunk.length)
        })
        await out.sync()
      } finally {
        await out.close()
      }
      if (file.sha256 !== undefined && file.sha256 !== sha256) throw refuse(source, `${file.name} changed while it was being imported`)
      copied.push({ name: file.name, bytes: file.stats.size })
    }
    const localParent = checked.localParent
    const parent: RunParent | null = checked.parent
      ? {
          ...checked.parent,
          runDir: localParent?.runDir ?? null,
          checkpoint: localParent?.checkpoint ?? checked.parent.checkpoint,
        }
      : null
    claimed = await createUniqueRunDir(checkpointDir, importBase(source, checked.info))
    const name = basename(claimed)
    const { pid: _pid, ...rest } = checked.info
    // A job's run.json names no folder of any machine: the parent's corpus folder here is the one to resume on.
    const corpusFolder = typeof rest.corpusFolder === 'string' ? {} : localParent?.corpusFolder ? { corpusFolder: localParent.corpusFolder } : {}
    await writeFileAtomic(join(temp, RUN_JSON), [JSON.stringify({ ...rest, ...corpusFolder, name, parent, imported }, null, 2) + '\n'])
    copied.push({ name: RUN_JSON, bytes: (await lstat(join(temp, RUN_JSON))).size })
    await syncFolder(temp)
    await moveIntoPlace(temp, claimed)
    await syncFolder(checkpointDir)
    report('copying', RUN_JSON, bytesTotal - done)
    return {
      runDir: claimed,
      name,
      files: copied.sort((a, b) => a.name.localeCompare(b.name)),
      checkpoints: checked.checkpoints.length,
      step: checked.step,
      parentDir: localParent?.runDir ?? null,
      imported,
      warnings,
    }
  } catch (error) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined)
    if (claimed) await rmdir(claimed).catch(() => undefined) // only while still empty
    throw error
  }
}
