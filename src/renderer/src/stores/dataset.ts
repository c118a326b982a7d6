import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { PrepareResult } from '../../../shared/contract'
import type { ApiError } from '../../../shared/errors'
import { VOCAB_LIMITS, type TokenizeProgress } from '../../../shared/tokenizer'
import { useApi } from '../api'
import { useCorpusStore } from './corpus'
import { useRunConfigStore } from './run-config'

export type TokenizeStatus = 'idle' | 'running' | 'done' | 'error'

/** Vocabulary sizes offered in one click, per tokenizer (500 is the original CLLM example's). */
export const VOCAB_PRESETS = {
  bpe: [500, 1000, 2048, 4096, 8192],
  word: [500, 2000, 5000, 10000],
} as const

/**
 * The Data view's Tokenize step: trains the tokenizer on the scanned corpus and encodes it, with
 * the tokenizer, vocabulary and context of the run settings (so the Train view uses what was seen
 * here), and shows a file as tokens.
 */
export const useDatasetStore = defineStore('dataset', () => {
  const api = useApi()
  const corpus = useCorpusStore()
  const runConfig = useRunConfigStore()
  const status = ref<TokenizeStatus>('idle')
  const progress = ref<TokenizeProgress | null>(null)
  const result = shallowRef<PrepareResult | null>(null)
  const error = ref<ApiError | null>(null)
  const previewPath = ref<string | null>(null)
  const previewLoading = ref(false)

  // A result describes one scan: a new scan makes it stale.
  watch(
    () => corpus.summary,
    () => {
      result.value = null
      error.value = null
      status.value = 'idle'
      previewPath.value = null
    },
  )

  api.on('dataset.progress', (payload) => {
    if (status.value === 'running') progress.value = payload
  })

  const vocabError = computed(() => {
    const size = Number(runConfig.form.vocabSize)
    const limits = VOCAB_LIMITS[runConfig.form.tokenizer]
    if (!Number.isInteger(size)) return 'must be a whole number'
    if (size < limits.min || size > limits.max)
      return `must be between ${limits.min} and ${limits.max} for the ${runConfig.form.tokenizer === 'bpe' ? 'BPE' : 'word'} tokenizer`
    return null
  })

  /** Whether the shown result was made with the settings now chosen. */
  const current = computed(
    () =>
      result.value !== null &&
      result.value.tokenizer === runConfig.form.tokenizer &&
      result.value.vocabSize === Number(runConfig.form.vocabSize) &&
      // A chat dataset splits by whole conversations whatever the method; its loss setting counts instead.
      (result.value.chat ? result.value.chat.lossOn === runConfig.form.lossOn : result.value.split.method === runConfig.form.split),
  )

  async function tokenize(): Promise<void> {
    if (vocabError.value || status.value === 'running') return
    status.value = 'running'
    progress.value = null
    error.value = null
    const outcome = await request()
    progress.value = null
    if (outcome.ok) {
      result.value = outcome.value
      previewPath.value = outcome.value.preview?.path ?? null
      status.value = 'done'
    } else {
      error.value = outcome.error
      status.value = 'error'
    }
  }

  /** Another file as tokens: the dataset is cached, so only the preview is computed again. */
  async function showPreview(path: string): Promise<void> {
    previewPath.value = path
    if (!result.value || status.value === 'running') return
    previewLoading.value = true
    const outcome = await request()
    previewLoading.value = false
    if (outcome.ok && outcome.value.preview?.path === previewPath.value)
      result.value = outcome.value
    else if (!outcome.ok) error.value = outcome.error
  }

  function request() {
    const seqLen = Number(runConfig.form.seqLen)
    return api.call('dataset.prepare', {
      tokenizer: runConfig.form.tokenizer,
      vocabSize: Number(runConfig.form.vocabSize),
      seqLen: Number.isInteger(seqLen) && seqLen > 0 ? seqLen : 32,
      // The split the run will train on: the same seed as the Train form's.
      ...(Number.isSafeInteger(Number(runConfig.form.seed)) && Number(runConfig.form.seed) >= 0 ? { seed: Number(runConfig.form.seed) } : {}),
      split: runConfig.form.split,
      data: runConfig.form.data,
      lossOn: runConfig.form.lossOn,
      ...(validFraction(Number(runConfig.form.valFraction)) ? { valFraction: Number(runConfig.form.valFraction) } : {}),
      ...(previewPath.value ? { previewPath: previewPath.value } : {}),
    })
  }

  return {
    status,
    progress,
    result,
    error,
    previewPath,
    previewLoading,
    vocabError,
    current,
    tokenize,
    showPreview,
  }
})

function validFraction(x: number): boolean {
  return Number.isFinite(x) && x > 0 && x <= 0.5
}
