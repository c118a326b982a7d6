/**
 * The model families the engine builds (src/main/engine/model/architectures/) and the defaults the UI,
 * the CLI and the engine share. No dependencies: the sphere workers import it.
 */
export const ARCHITECTURES = ['gpt2', 'llama'] as const
export type ArchitectureName = (typeof ARCHITECTURES)[number]

/** What a new run trains when the user names no architecture. */
export const DEFAULT_ARCHITECTURE: ArchitectureName = 'llama'

/** Llama's SwiGLU width when none is given: 8/3 of the model width (the MLP then has GPT-2's 8·C² weights), a multiple of 4. */
export function defaultFfnDim(embedDim: number): number {
  return Math.ceil(Math.round((8 * embedDim) / 3) / 4) * 4
}
