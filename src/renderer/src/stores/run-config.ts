import { defineStore, storeToRefs } from 'pinia'
import { computed, reactive, ref, watch } from 'vue'
import {
  PRESETS,
  applyPreset,
  checkForm,
  defaultForm,
  matchingPreset,
  type Preset,
} from '../run-form'
import { maxSpheres } from '../../../shared/training'
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
  const preset = computed(() => matchingPreset(form))

  function choosePreset(chosen: Preset): void {
    applyPreset(form, chosen)
  }

  function touchThreads(): void {
    threadsTouched.value = true
  }

  return { form, check, preset, presets: PRESETS, choosePreset, touchThreads }
})
