import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { CheckpointEntry, RunEntry, RunListing } from '../../../shared/checkpoint'
import type { ApiError } from '../../../shared/errors'
import { useApi } from '../api'

/** A checkpoint with the run it belongs to, as the pickers list them. */
export interface CheckpointChoice {
  run: RunEntry
  checkpoint: CheckpointEntry
}

/** The app's checkpoint folder: runs, newest first, each with its checkpoints by step. */
export const useCheckpointsStore = defineStore('checkpoints', () => {
  const api = useApi()
  const listing = shallowRef<RunListing | null>(null)
  const loading = ref(false)
  const error = ref<ApiError | null>(null)

  const runs = computed(() =>
    [...(listing.value?.runs ?? [])]
      .sort(
        (a, b) => (b.created ?? '').localeCompare(a.created ?? '') || b.name.localeCompare(a.name),
      )
      .map((run) => ({
        ...run,
        checkpoints: [...run.checkpoints].sort(
          (a, b) => (b.step ?? -1) - (a.step ?? -1) || (a.kind === 'final' ? -1 : 1),
        ),
      })),
  )

  /** Every readable checkpoint, newest run first: what Generate and Resume can open. */
  const usable = computed<CheckpointChoice[]>(() =>
    runs.value.flatMap((run) =>
      run.checkpoints
        .filter((checkpoint) => checkpoint.status === 'ok')
        .map((checkpoint) => ({ run, checkpoint })),
    ),
  )

  async function refresh(): Promise<void> {
    loading.value = true
    const result = await api.call('checkpoints.list', {})
    loading.value = false
    if (result.ok) {
      listing.value = result.value
      error.value = null
    } else {
      error.value = result.error
    }
  }

  function find(path: string): CheckpointChoice | undefined {
    return usable.value.find((choice) => choice.checkpoint.path === path)
  }

  return { listing, runs, usable, loading, error, refresh, find }
})
