/**
 * The dataset: documents encoded into one shared-memory token stream, split into training and
 * validation ranges, sampled in seeded batches, and cached in the run folder.
 */
export { prepareDataset, checkCorpusHoldsAWindow, layoutOf, type PrepareOptions, type PreparedDataset } from './prepare'
export { encodeDocuments, tokenArrayFor, type EncodedStream, type TokenArray } from './encode'
export {
  checkFraction,
  chooseValidation,
  splitRanges,
  type SplitRanges,
  type TokenRange,
  type StreamLayout,
} from './split'
export { Sampler, validationStarts, type SamplerConfig, type SamplerState } from './sampler'
export {
  corpusFingerprint,
  datasetFingerprint,
  type CorpusDocument,
  type TokenizerIdentity,
} from './fingerprint'
export { DatasetManifest, MANIFEST_FILE, TOKENS_FILE, readCachedDataset } from './cache'
