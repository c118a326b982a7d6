import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { MethodOutput } from '../../../shared/contract'
import type { ScanProgress, SkipReason, SkippedPath } from '../../../shared/corpus'
import type { ApiError } from '../../../shared/errors'
import { useAppStore } from './app'
import { useApi } from '../api'

export type ScanStatus = 'idle' | 'scanning' | 'done' | 'error'
export type ScanResult = MethodOutput<'corpus.scan'>

/** The loader may also say how many files it will read, which turns the bar from busy into a fraction. */
export type ScanProgressView = ScanProgress & { filesRead?: number; filesToRead?: number }

let scanCounter = 0
/** crypto.randomUUID needs a secure context, which a LAN address over http is not. */
function newScanId(): string {
  return `scan-${Date.now().toString(36)}-${(++scanCounter).toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}

/** The Data step: which folder, the scan in progress, and what it found. */
export const useCorpusStore = defineStore('corpus', () => {
  const api = useApi()
  const folder = ref('')
  const status = ref<ScanStatus>('idle')
  const progress = ref<ScanProgressView | null>(null)
  const summary = shallowRef<ScanResult | null>(null)
  const error = ref<ApiError | null>(null)
  const cancelled = ref(false)
  const scanId = ref<string | null>(null)

  // File → Open Folder…, Open Recent or a folder dropped on the window (Electron): open it.
  api.on('app.folderPicked', (payload) => {
    useAppStore().go('data')
    void scan(payload.folder)
  })

  api.on('corpus.progress', (payload) => {
    if (payload.scanId === scanId.value && status.value === 'scanning') progress.value = payload
  })

  /** Skipped paths by reason, in the order of the reasons' first appearance. */
  const skippedByReason = computed(() => {
    const groups = new Map<SkipReason, SkippedPath[]>()
    for (const entry of summary.value?.skipped ?? []) {
      const group = groups.get(entry.reason)
      if (group) group.push(entry)
      else groups.set(entry.reason, [entry])
    }
    return [...groups].map(([reason, paths]) => ({ reason, paths }))
  })

  async function scan(target = folder.value): Promise<void> {
    const chosen = target.trim()
    folder.value = chosen
    error.value = null
    cancelled.value = false
    if (!chosen) {
      status.value = 'error'
      error.value = { code: 'invalid-input', message: 'Type the path of a folder first.' }
      return
    }
    const id = newScanId()
    scanId.value = id
    status.value = 'scanning'
    progress.value = null
    const result = await api.call('corpus.scan', { folder: chosen, scanId: id })
    if (scanId.value !== id) return // a newer scan replaced this one
    scanId.value = null
    progress.value = null
    if (result.ok) {
      summary.value = result.value
      status.value = 'done'
    } else if (result.error.code === 'cancelled') {
      cancelled.value = true
      status.value = summary.value ? 'done' : 'idle'
    } else {
      summary.value = null
      error.value = result.error
      status.value = 'error'
    }
  }

  async function cancel(): Promise<void> {
    if (scanId.value) await api.call('corpus.cancelScan', { scanId: scanId.value })
  }

  /** Native dialog (Electron). Returns false when the user closed it without choosing. */
  async function pickFolder(): Promise<boolean> {
    const result = await api.call('corpus.pickFolder', {})
    if (!result.ok) {
      error.value = result.error
      status.value = 'error'
      return false
    }
    if (result.value.folder === null) return false
    await scan(result.value.folder)
    return true
  }

  return {
    folder,
    status,
    progress,
    summary,
    error,
    cancelled,
    scanId,
    skippedByReason,
    scan,
    cancel,
    pickFolder,
  }
})
