/**
 * The job: a run handed to PyTorch (`train.py`, one process or `torchrun` / DDP) on another
 * machine, as a self-contained, relocatable folder. One of the interchange formats (beside the
 * Hugging Face and GGUF exports), kept apart from the studio's own checkpoint store.
 *
 *   exportJobFromCheckpoint({ checkpoint, outDir })  continue a run elsewhere
 *   exportJobFromConfig({ folder, config, outDir, checkpointDir })
 *       prepare the run here exactly as `cllm train` would (corpus, tokenizer, dataset, initial
 *       weights), record it as a run stopped at step 0 in `checkpointDir` — the parent the job's
 *       run folder names — and write the job from that checkpoint.
 *
 * Both refuse an existing non-empty `outDir`, a file there or a link, before any work.
 */
import { UserError } from '../../../../shared/errors'
import type { RunConfigInput } from '../../../../shared/training'
import type { LoadedCorpus } from '../../corpus'
import { deleteRun, folderTrash } from '../../runs'
import { createSession } from '../../session'
import { checkJobOutDir } from './out-dir'
import { findJobTemplates } from './templates'
import {
  assertJobArchitecture,
  chatRunRefusal,
  writeJobFromCheckpoint,
  type JobExportProgress,
  type JobExportResult,
} from './write-job'

export { findJobTemplates, TEMPLATE_FILES } from './templates'
export {
  JOB_FILE,
  JOB_FORMAT,
  JOB_FORMAT_VERSION,
  START_CHECKPOINT,
  portableConfig,
  type JobExportPhase,
  type JobExportProgress,
  type JobExportResult,
  type JobFile,
} from './write-job'

export interface ExportJobFromCheckpointOptions {
  /** A studio checkpoint inside its run folder (the run's encoded dataset is read from there). */
  checkpoint: string
  /** A new or empty folder. */
  outDir: string
  onProgress?: (progress: JobExportProgress) => void
  /** Where train.py and the other templates are (default: found beside this installation). */
  templateDir?: string
}

export interface ExportJobFromConfigOptions {
  /** The corpus folder. */
  folder: string
  /** The run settings, as for `cllm train` (paths.checkpointDir is replaced by `checkpointDir`). */
  config: RunConfigInput
  outDir: string
  /** Where the step-0 run this job continues is created (the studio's checkpoint folder). */
  checkpointDir: string
  onProgress?: (progress: JobExportProgress) => void
  templateDir?: string
  /** The corpus, when the caller has already loaded the folder. */
  corpus?: LoadedCorpus
  followLinks?: boolean
}

export interface JobFromConfigResult extends JobExportResult {
  /** The studio run (stopped at step 0) the job continues. */
  runDir: string
  checkpoint: string
}

export async function exportJobFromCheckpoint(
  options: ExportJobFromCheckpointOptions,
): Promise<JobExportResult> {
  return writeJobFromCheckpoint(options)
}

export async function exportJobFromConfig(
  options: ExportJobFromConfigOptions,
): Promise<JobFromConfigResult> {
  checkJobOutDir(options.outDir)
  findJobTemplates(options.templateDir) // a broken installation is refused before the corpus is read
  assertJobArchitecture(options.config.model?.architecture, 'The run these settings describe')
  if (options.config.training?.data === 'chat') throw chatRunRefusal('The run these settings describe')
  const config: RunConfigInput = {
    ...options.config,
    paths: { ...options.config.paths, checkpointDir: options.checkpointDir },
  }
  const session = await createSession({
    folder: options.folder,
    config,
    sample: false,
    ...(options.corpus ? { corpus: options.corpus } : {}),
    ...(options.followLinks ? { followLinks: true } : {}),
  })
  session.on((event) => {
    if (event.event === 'training.prepare') {
      options.onProgress?.({ phase: 'prepare', detail: event.payload.detail })
    } else if (event.event === 'training.started') {
      // Prepared exactly as a run here: stop before the first step, which writes checkpoint_step_0.
      session.stop()
    }
  })
  const finished = await session.run()
  const { checkpoint, runDir } = finished
  if (finished.state === 'failed' || !checkpoint || !runDir) {
    const message = finished.message ?? 'The run could not be prepared.'
    throw new UserError(
      finished.code && finished.code !== 'internal' ? finished.code : 'internal',
      message,
    )
  }
  try {
    const result = await writeJobFromCheckpoint({
      checkpoint,
      outDir: options.outDir,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.templateDir !== undefined ? { templateDir: options.templateDir } : {}),
    })
    return { ...result, runDir, checkpoint }
  } catch (error) {
    // The run was prepared only to be this job's parent: a job that cannot be written (a chat corpus
    // found under `auto`, say) leaves none behind in Runs; it goes to the trash as a deleted run does.
    await deleteRun(runDir, folderTrash(options.checkpointDir)).catch(() => undefined)
    throw error
  }
}
