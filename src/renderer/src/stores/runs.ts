import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { ApiError } from '../../../shared/errors'
import type { RunHistory, RunStatus, RunSummary, RunsListing } from '../../../shared/runs'
import { useApi } from '../api'

export type RunSort = 'started' | 'name' | 'bestValLoss' | 'tokens' | 'duration'

/**
 * The Runs view: every run with its status and figures, filtered and sorted; which run's page is
 * open, which runs are picked for Compare; each run's whole history, fetched when first drawn.
 */
export const useRunsStore = defineStore('runs', () => {
  const api = useApi()
  const listing = shallowRef<RunsListing | null>(null)
  const loading = ref(false)
  const error = ref<ApiError | null>(null)
  const filter = ref('')
  const status = ref<RunStatus | 'all'>('all')
  const sort = ref<RunSort>('started')
  /** The run whose page is open (its folder), or null for the list. */
  const open = ref<string | null>(null)
  const comparing = ref(false)
  const picked = ref<string[]>([])
  const histories = shallowRef<Record<string, RunHistory>>({})

  const byPath = computed(() => new Map((listing.value?.runs ?? []).map((run) => [run.path, run])))

  /** A run's name as the user sees it: its title, else its folder name. */
  const label = (run: RunSummary) => run.title ?? run.name

  const runs = computed(() => {
    const needle = filter.value.trim().toLowerCase()
    const list = (listing.value?.runs ?? []).filter(
      (run) =>
        (status.value === 'all' || run.status === status.value) &&
        (!needle || `${run.name} ${run.title ?? ''} ${run.notes}`.toLowerCase().includes(needle)),
    )
    const key: Record<RunSort, (run: RunSummary) => number | string> = {
      started: (run) => run.started ?? '',
      name: (run) => label(run).toLowerCase(),
      bestValLoss: (run) => run.bestValLoss ?? Number.POSITIVE_INFINITY,
      tokens: (run) => run.tokens,
      duration: (run) => run.durationSec ?? 0,
    }
    const k = key[sort.value]
    // Newest, biggest and longest first; names and losses ascending.
    const descending = sort.value === 'started' || sort.value === 'tokens' || sort.value === 'duration'
    return [...list].sort((a, b) => {
      const [x, y] = [k(a), k(b)]
      const order = x < y ? -1 : x > y ? 1 : 0
      return descending ? -order : order
    })
  })

  const current = computed(() => (open.value ? (byPath.value.get(open.value) ?? null) : null))
  const pickedRuns = computed(() => picked.value.map((path) => byPath.value.get(path)).filter((run): run is RunSummary => !!run))

  async function refresh(): Promise<void> {
    loading.value = true
    const result = await api.call('runs.list', {})
    loading.value = false
    if (result.ok) {
      listing.value = result.value
      error.value = null
      picked.value = picked.value.filter((path) => byPath.value.has(path))
    } else {
      error.value = result.error
    }
  }

  async function history(runDir: string, reload = false): Promise<RunHistory | null> {
    if (!reload && histories.value[runDir]) return histories.value[runDir]
    const result = await api.call('runs.history', { runDir })
    if (!result.ok) {
      error.value = result.error
      return null
    }
    histories.value = { ...histories.value, [runDir]: result.value }
    return result.value
  }

  async function annotate(runDir: string, change: { title?: string; notes?: string }): Promise<boolean> {
    const result = await api.call('runs.annotate', { runDir, ...change })
    if (!result.ok) {
      error.value = result.error
      return false
    }
    await refresh()
    return true
  }

  async function remove(runDir: string): Promise<boolean> {
    const result = await api.call('runs.delete', { runDir })
    if (!result.ok) {
      error.value = result.error
      return false
    }
    if (open.value === runDir) open.value = null
    picked.value = picked.value.filter((path) => path !== runDir)
    await refresh()
    return true
  }

  function togglePick(runDir: string): void {
    picked.value = picked.value.includes(runDir) ? picked.value.filter((p) => p !== runDir) : [...picked.value, runDir]
  }

  return {
    listing, loading, error, filter, status, sort, open, comparing, picked, histories,
    runs, current, pickedRuns, label, refresh, history, annotate, remove, togglePick,
  }
})
