/**
 * Runs as experiments: what `run.json` records about a run's lineage and end, the status a listing
 * derives from it and the writer lock, and the whole history a run's charts draw. Pure schemas, so
 * the engine validates what it reads and the UI gets the types.
 */
import { z } from 'zod'
import { MetricsRecord, RunEntry } from './checkpoint'

/** Where a resumed run came from: the parent run, the checkpoint file, its step and its SHA-256. */
export const RunParent = z.object({
  /** The parent run folder (absolute), or null for a loose checkpoint file outside any run folder. */
  runDir: z.string().nullable(),
  /** The parent run folder's name, to find it again when the folders were moved together. */
  runName: z.string().nullable(),
  checkpoint: z.string(),
  step: z.number().int().nonnegative(),
  sha256: z.string(),
})
export type RunParent = z.infer<typeof RunParent>

/** Where a run trained elsewhere ran, as its trainer (a job's train.py) recorded it. */
export const TrainedOn = z.object({
  host: z.string().optional(),
  /** e.g. `cuda`, `cuda:0 (NVIDIA H100)`, `cpu`. */
  device: z.string().optional(),
  /** torchrun's world size (processes). */
  worldSize: z.number().int().positive().optional(),
  /** The PyTorch version that trained it. */
  torch: z.string().optional(),
})
export type TrainedOn = z.infer<typeof TrainedOn>

/** Written into an imported run's run.json (`imported`): it was trained elsewhere and brought back. */
export const RunImport = z.object({
  /** When it was imported (ISO). */
  at: z.string(),
  /** The folder it was copied from, on this machine. */
  from: z.string(),
  /** The machine that imported it. */
  host: z.string(),
  trainedOn: TrainedOn.optional(),
  /** The parent as the other machine recorded it (its paths are that machine's). */
  parentAsRecorded: RunParent.optional(),
})
export type RunImport = z.infer<typeof RunImport>

/**
 * How a resumed run's learning rate continues. `same`: the warmup-and-cosine curve of the run's
 * total (an unchanged total continues exactly). `hold`: extending a finished run — the extra steps
 * keep the rate its last step had (the end of its cosine), so the rate never jumps back up.
 */
export const ScheduleRecord = z.object({
  peak: z.number(),
  warmup: z.number().int().nonnegative(),
  totalSteps: z.number().int().positive(),
  hold: z.object({ from: z.number().int().nonnegative(), rate: z.number() }).optional(),
})
export type ScheduleRecord = z.infer<typeof ScheduleRecord>

/** Written into run.json when the run's process ends it (never by anyone else). */
export const RunEnd = z.object({
  reason: z.enum(['completed', 'stopped', 'failed']),
  step: z.number().int().nonnegative(),
  at: z.string(),
  message: z.string().optional(),
  /** Training tokens per second over the loop's wall time, evaluation and checkpoint time excluded. */
  tokensPerSec: z.number().optional(),
  trainSec: z.number().optional(),
  evalSec: z.number().optional(),
  checkpointSec: z.number().optional(),
  /** Training loss as every summary gives it: the mean of the last `trainLossWindow` steps. */
  trainLoss: z.number().nullable().optional(),
  trainLossWindow: z.number().int().positive().optional(),
  /** The last validation loss and the step it was measured at. */
  valLoss: z.number().nullable().optional(),
  valLossStep: z.number().int().nonnegative().nullable().optional(),
})
export type RunEnd = z.infer<typeof RunEnd>

/**
 * running: a live process holds the lock. interrupted: the lock was left by a process that is gone
 * (killed, crashed), or the run never recorded an end. done / stopped / failed: how it ended.
 */
export const RunStatus = z.enum(['running', 'done', 'stopped', 'failed', 'interrupted'])
export type RunStatus = z.infer<typeof RunStatus>

/** What the user wrote about a run (kept in the run folder's `notes.json`; the folder name stays). */
export const RunNotes = z.object({
  title: z.string().max(200).optional(),
  notes: z.string().max(100_000).optional(),
})
export type RunNotes = z.infer<typeof RunNotes>

/** A run as the Runs view lists it: the folder's listing plus status, lineage and figures. */
export const RunSummary = RunEntry.extend({
  status: RunStatus,
  parent: RunParent.nullable(),
  /** The model a fine-tuning run started from (run.json's `initFrom`: a Hugging Face folder or a checkpoint). */
  initFrom: z.string().nullable().optional(),
  started: z.string().nullable(),
  ended: RunEnd.nullable(),
  /** Wall time from start to end (or to the last metrics line while running / interrupted). */
  durationSec: z.number().nullable(),
  /** The last step recorded (own metrics, or the end). */
  step: z.number().int().nonnegative(),
  /** Tokens seen over the run's whole history (steps × batch × window). */
  tokens: z.number().nonnegative(),
  bestValLoss: z.number().nullable(),
  title: z.string().nullable(),
  notes: z.string(),
  /** The lock holder while running. */
  pid: z.number().int().nullable(),
  /** Trained elsewhere and imported (`cllm runs import`); absent for the studio's own runs. */
  imported: RunImport.nullable().optional(),
})
export type RunSummary = z.infer<typeof RunSummary>

export const RunsListing = z.object({ dir: z.string(), runs: z.array(RunSummary) })
export type RunsListing = z.infer<typeof RunsListing>

/** One line of a run's whole history, tagged with the run folder it was read from. */
export const HistoryRecord = MetricsRecord.extend({ run: z.string() })
export type HistoryRecord = z.infer<typeof HistoryRecord>

export const RunHistory = z.object({
  runDir: z.string(),
  records: z.array(HistoryRecord),
  /** The lineage, oldest first: each run and the step its part of the history ends at. */
  segments: z.array(
    z.object({
      runDir: z.string(),
      name: z.string(),
      fromStep: z.number(),
      toStep: z.number(),
      /** This part was trained elsewhere (an imported run), and where, when its trainer said. */
      elsewhere: z.object({ trainedOn: TrainedOn.optional() }).optional(),
    }),
  ),
  /** Why the history starts late (a parent folder that is gone), when it does. */
  problem: z.string().optional(),
  /** Tokens per step (batch × window), for an x axis in tokens. */
  tokensPerStep: z.number().nullable(),
})
export type RunHistory = z.infer<typeof RunHistory>

/** A model source as people name it: a checkpoint by its run folder and file, a folder by its name. */
export function modelSourceName(source: string): string {
  const parts = source.split(/[\\/]/).filter(Boolean)
  if (parts.length === 0) return source
  return /\.safetensors$/.test(parts.at(-1)!) && parts.length > 1 ? parts.slice(-2).join('/') : parts.at(-1)!
}

/** "resumed from run-a at step 500" / "fine-tuned from gpt2": a run's lineage in words, or null. */
export function lineageText(run: { parent: RunParent | null; initFrom?: string | null }, parentName?: string): string | null {
  if (run.parent) {
    const name = parentName ?? run.parent.runName ?? modelSourceName(run.parent.checkpoint)
    return `resumed from ${name} at step ${run.parent.step.toLocaleString('en-US')}`
  }
  if (run.initFrom) return `fine-tuned from ${modelSourceName(run.initFrom)}`
  return null
}
