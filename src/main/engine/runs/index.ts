/** Runs: the run folder's name, writer lock, lineage, history, status, notes and deletion. */
export { acquireRunLock, readRunLock, isHolderAlive, LOCK_FILE, type RunLock, type RunLockInfo } from './lock'
export { childRunBase, childRunRoot, createUniqueRunDir, runFolderOf } from './folder'
export { locateParent, ownSteps, parentRecord, readImport, readParent, runHistory, sha256File } from './lineage'
export { importRun, IMPORT_STAGING, type ImportedRun, type ImportOptions, type ImportProgress } from './import'
export {
  deleteRun,
  describeRunSummary,
  folderTrash,
  listRunSummaries,
  readNotes,
  summarizeRun,
  writeNotes,
  NOTES_FILE,
} from './list'
