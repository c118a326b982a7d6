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

  /** Checkpoints read whole this session: 'ok', or being checked. A damaged one turns corrupt in the listing. */
  const verified = ref<Record<string, 'checking' | 'ok'>>({})

  /** Reads one checkpoint whole (tensor hash, metadata, finite weights); a damaged one shows its reason. */
  async function verify(path: string): Promise<void> {
    verified.value = { ...verified.value, [path]: 'checking' }
    const result = await api.call('checkpoints.verify', { path })
    const { [path]: _checking, ...rest } = verified.value
    verified.value = rest
    if (!result.ok) {
      error.value = result.error
      return
    }
    if (result.value.status === 'ok') {
      verified.value = { ...verified.value, [path]: 'ok' }
      return
    }
    const problem = result.value.problem
    const current = listing.value
    if (!current) return
    listing.value = {
      ...current,
      runs: current.runs.map((run) => ({
        ...run,
        checkpoints: run.checkpoints.map((checkpoint) =>
          checkpoint.path === path
            ? { ...checkpoint, status: 'corrupt' as const, best: false, problem }
            : checkpoint,
        ),
      })),
    }
  }

  function find(path: string): CheckpointChoice | undefined {
    return usable.value.find((choice) => choice.checkpoint.path === path)
  }

  return { listing, runs, usable, loading, error, verified, refresh, verify, find }
})
