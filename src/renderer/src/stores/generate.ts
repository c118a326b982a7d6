import { defineStore } from 'pinia'
import { reactive, ref } from 'vue'
import { GenerateOptions } from '../../../shared/training'
import type { ApiError } from '../../../shared/errors'
import { useApi } from '../api'

export type GenerateStatus = 'idle' | 'generating' | 'done' | 'stopped' | 'error'

let requestCounter = 0
function newRequestId(): string {
  return `gen-${Date.now().toString(36)}-${(++requestCounter).toString(36)}`
}

/**
 * Text from a checkpoint: the settings, and the output as it streams in (`generate.text` events of
 * this page's request), with its speed.
 */
/** One set of defaults for the UI and `cllm generate`: the contract's own. */
export const GENERATE_DEFAULTS = GenerateOptions.parse({})

export const useGenerateStore = defineStore('generate', () => {
  const api = useApi()
  const checkpoint = ref<string | null>(null)
  const options = reactive({
    prompt: 'Once upon a time',
    maxTokens: GENERATE_DEFAULTS.maxTokens as number | string,
    temperature: GENERATE_DEFAULTS.temperature as number | string,
    topK: GENERATE_DEFAULTS.topK as number | string,
    topP: GENERATE_DEFAULTS.topP as number | string,
    seed: GENERATE_DEFAULTS.seed as number | string,
  })
  const status = ref<GenerateStatus>('idle')
  const prompt = ref('')
  const output = ref('')
  /** Streamed pieces received for the request: more than one shows the text really streamed. */
  const chunks = ref(0)
  const tokens = ref<number | null>(null)
  /** Fewer tokens than asked for: the model ended the text itself. */
  const endedText = ref(false)
  const elapsedMs = ref(0)
  const error = ref<ApiError | null>(null)
  const requestId = ref<string | null>(null)
  /** The engine has not answered yet (also after Stop, until it has stopped). */
  const pending = ref(false)
  /**
   * Side by side: a second checkpoint given the same prompt and settings (same seed), written
   * after the first (the engine writes one text at a time).
   */
  const compareWith = ref<string | null>(null)
  const comparison = reactive({
    checkpoint: null as string | null,
    requestId: null as string | null,
    output: '',
    tokens: null as number | null,
    status: 'idle' as GenerateStatus,
    error: null as ApiError | null,
  })

  api.on('generate.text', (payload) => {
    if (payload.requestId === comparison.requestId) comparison.output += payload.text
    if (payload.requestId !== requestId.value) return
    output.value += payload.text
    chunks.value++
  })

  async function generateComparison(input: NonNullable<ReturnType<typeof checkOptions>['input']>): Promise<void> {
    const other = compareWith.value
    if (!other) return
    const id = newRequestId()
    Object.assign(comparison, { checkpoint: other, requestId: id, output: '', tokens: null, status: 'generating', error: null })
    pending.value = true
    const result = await api.call('generate.run', { checkpoint: other, requestId: id, ...input })
    pending.value = false
    if (comparison.requestId !== id) return
    if (result.ok) {
      comparison.output = result.value.text
      comparison.tokens = result.value.tokens
      if (comparison.status === 'generating') comparison.status = 'done'
    } else {
      comparison.error = result.error
      comparison.status = 'error'
    }
  }

  /** The schema's own check of the settings, field by field. */
  function checkOptions() {
    const numeric = (value: number | string) =>
      typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value)
    const input = {
      prompt: options.prompt,
      maxTokens: numeric(options.maxTokens),
      temperature: numeric(options.temperature),
      topK: numeric(options.topK),
      topP: numeric(options.topP),
      seed: numeric(options.seed),
    }
    const parsed = GenerateOptions.safeParse(input)
    const errors: Partial<Record<keyof typeof input, string>> = {}
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const key = issue.path[0] as keyof typeof input
        errors[key] ??= issue.message
      }
    }
    return { input: parsed.success ? input : null, errors }
  }

  async function generate(): Promise<void> {
    const { input } = checkOptions()
    if (!checkpoint.value || !input || pending.value) return
    const id = newRequestId()
    requestId.value = id
    status.value = 'generating'
    Object.assign(comparison, { checkpoint: null, requestId: null, output: '', tokens: null, status: 'idle', error: null })
    prompt.value = input.prompt
    output.value = ''
    chunks.value = 0
    tokens.value = null
    endedText.value = false
    error.value = null
    const begun = performance.now()
    pending.value = true
    const result = await api.call('generate.run', {
      checkpoint: checkpoint.value,
      requestId: id,
      ...input,
    })
    pending.value = false
    if (requestId.value !== id) return
    elapsedMs.value = performance.now() - begun
    if (result.ok) {
      // The answer holds the whole text: it wins over any piece an event lost.
      output.value = result.value.text
      tokens.value = result.value.tokens
      if (status.value === 'generating') {
        status.value = 'done'
        endedText.value = result.value.tokens < input.maxTokens
        await generateComparison(input)
      }
    } else {
      error.value = result.error
      status.value = 'error'
    }
  }

  async function stop(): Promise<void> {
    if (comparison.status === 'generating' && comparison.requestId) {
      comparison.status = 'stopped'
      await api.call('generate.cancel', { requestId: comparison.requestId })
      return
    }
    if (status.value !== 'generating' || !requestId.value) return
    status.value = 'stopped'
    await api.call('generate.cancel', { requestId: requestId.value })
  }

  return {
    checkpoint,
    options,
    status,
    prompt,
    output,
    chunks,
    tokens,
    endedText,
    elapsedMs,
    error,
    requestId,
    pending,
    compareWith,
    comparison,
    checkOptions,
    generate,
    stop,
  }
})
