/** Checkpoints: the file format, the run folder store, and the Hugging Face and GGUF exports. */
export {
  saveCheckpoint,
  loadCheckpoint,
  readCheckpointInfo,
  verifyCheckpoint,
  type CheckpointVerdict,
  type Checkpoint,
  type CheckpointInput,
  type CheckpointInfo,
  type LoadOptions,
  type SaveOptions,
} from './format'
export {
  createRunDir,
  writeRunJson,
  rewriteRunJsonInPlace,
  readRunJson,
  appendMetrics,
  readMetrics,
  checkpointPath,
  finalModelPath,
  applyRetention,
  deleteCheckpoint,
  describeRun,
  listRuns,
  removeStaleTempFilesUnder,
  classifyCheckpointFile,
  RUN_JSON,
  METRICS_JSONL,
  FINAL_MODEL_FILE,
  type RetentionResult,
} from './store'
export { exportHuggingFace, gpt2Config, type ExportResult, type ExportedFile } from './export-hf'
export { gpt2ParamLayout, checkpointTensorLayout } from './gpt2-layout'
export { CorruptCheckpointError } from './errors'
export { removeStaleTempFiles } from './atomic-write'
export {
  exportGguf,
  GGUF_PRECISIONS,
  type GgufPrecision,
  type GgufExportResult,
} from './export-gguf'
