import { defineStore, storeToRefs } from 'pinia'
import { computed, reactive, ref, watch } from 'vue'
import {
  PRESETS,
  applyPreset,
  checkForm,
  defaultForm,
  matchingPreset,
  memoryLimitReason,
  type Preset,
  type RunForm,
} from '../run-form'
import { ARCHITECTURES, maxSpheres } from '../../../shared/training'
import { useAppStore } from './app'

/**
 * The settings of the next run, shared by the Data view's Tokenize step (tokenizer, vocabulary,
 * context) and the Train view (everything), checked live with the engine's own rules.
 */
export const useRunConfigStore = defineStore('runConfig', () => {
  const { info } = storeToRefs(useAppStore())
  const form = reactive(defaultForm())
  /** Until the user sets the sphere count, it follows the cores, at most the batch size. */
  const threadsTouched = ref(false)
  // The last settings come back on the next launch (the page's own storage; nothing if there is none).
  const saved = readSavedForm()
  if (saved) {
    Object.assign(form, saved)
    threadsTouched.value = 'threads' in saved
  }
  watch(form, () => saveForm(form, threadsTouched.value), { deep: true })

  watch(
    () => [info.value?.cores, form.batchSize] as const,
    ([cores, batchSize]) => {
      if (!cores || threadsTouched.value) return
      const batch = Number(batchSize)
      form.threads =
        Number.isInteger(batch) && batch > 0 ? Math.min(cores, maxSpheres(batch, cores)) : cores
    },
    { immediate: true },
  )

  const machine = computed(() => ({
    cores: info.value?.cores ?? 1,
    // Before the engine answers, no memory limit is known: check against the WebAssembly one only.
    totalMemoryBytes: info.value?.totalMemoryBytes ?? Number.MAX_SAFE_INTEGER,
  }))
  const check = computed(() => checkForm(form, machine.value))
  const memoryReason = computed(() => memoryLimitReason(check.value.memoryLimit, machine.value))
  const preset = computed(() => matchingPreset(form))

  function choosePreset(chosen: Preset): void {
    applyPreset(form, chosen)
  }

  function touchThreads(): void {
    threadsTouched.value = true
  }

  return { form, check, memoryReason, preset, presets: PRESETS, choosePreset, touchThreads }
})

const SAVED_FORM_KEY = 'cllm.runSettings'

function storage(): Storage | undefined {
  try {
    return globalThis.localStorage ?? undefined
  } catch {
    return undefined
  }
}

/** The saved fields that still exist and hold a value of a field's kind; anything else is dropped. */
export function readSavedForm(store: Storage | undefined = storage()): Partial<RunForm> | null {
  try {
    const parsed: unknown = JSON.parse(store?.getItem(SAVED_FORM_KEY) ?? 'null')
    if (typeof parsed !== 'object' || parsed === null) return null
    const defaults = defaultForm()
    const form: Partial<Record<string, unknown>> = {}
    for (const [key, value] of Object.entries(parsed)) {
      if (!(key in defaults)) continue
      const known: Record<string, readonly unknown[]> = {
        tokenizer: ['bpe', 'word'],
        split: ['blocks', 'files'],
        data: ['auto', 'chat', 'text'],
        lossOn: ['answers', 'all'],
        architecture: ARCHITECTURES,
      }
      if (key in known ? known[key].includes(value) : typeof value === 'number' || typeof value === 'string') form[key] = value
    }
    return form as Partial<RunForm>
  } catch {
    return null
  }
}

export function saveForm(form: RunForm, threadsTouched: boolean, store: Storage | undefined = storage()): void {
  const { threads, ...rest } = form
  try {
    store?.setItem(SAVED_FORM_KEY, JSON.stringify(threadsTouched ? { ...rest, threads } : rest))
  } catch {
    // Storage full or refused: the settings are simply not remembered.
  }
}
