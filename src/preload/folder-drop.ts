/**
 * Dropping a folder on the window opens it. The path comes from Electron (`webUtils.getPathForFile`)
 * for a file the user really dropped, here in the preload: the page itself can neither read a
 * dropped item's path nor send one (it has no ipcRenderer), so it cannot name a folder to read.
 * Main checks the sender and the path and grants read access as the folder dialog does.
 */
/** The parts of a DOM DragEvent used here (the preload is typechecked without the DOM library). */
export interface DropEventLike {
  readonly isTrusted: boolean
  readonly dataTransfer?: { readonly files: ArrayLike<unknown> } | null
  preventDefault(): void
}

export interface DropTarget {
  addEventListener(type: 'dragover' | 'drop', listener: (event: DropEventLike) => void): void
}

export function forwardDroppedFolders(
  target: DropTarget,
  pathForFile: (file: unknown) => string,
  send: (path: string) => void,
): void {
  // Without this the page would navigate to the dropped item (blocked anyway by will-navigate).
  target.addEventListener('dragover', (event) => event.preventDefault())
  target.addEventListener('drop', (event) => {
    event.preventDefault()
    // A drop made up by a script carries no real file; only the user's own drops count.
    if (!event.isTrusted) return
    const item = event.dataTransfer?.files[0]
    if (!item) return
    const path = pathForFile(item)
    if (path) send(path)
  })
}
