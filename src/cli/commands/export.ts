/**
 * `cllm export --checkpoint <file> --out <dir>`: a Hugging Face GPT-2 folder (model.safetensors,
 * config.json, tokenizer.json, …) from a checkpoint, and a list of what was written.
 * `--format gguf --out <model.gguf>`: one GGUF file for llama.cpp / Ollama / LM Studio, with an
 * Ollama Modelfile beside it.
 */
import { basename } from 'node:path'
import type { Command } from 'commander'
import { exportHuggingFace, type ExportResult } from '../../main/engine/checkpoints'
import {
  exportGguf,
  GGUF_PRECISIONS,
  type GgufExportResult,
  type GgufPrecision,
} from '../../main/engine/checkpoints/export-gguf'
import { UserError } from '../../shared/errors'
import { ollamaNames } from '../../shared/checkpoint'
import { formatBytes } from '../../shared/units'
import { exportJobFolder } from './job'
import type { JobExportResult } from '../../main/engine/interchange/job'

export const EXPORT_FORMATS = ['hf', 'gguf', 'job'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export interface ExportOptions {
  checkpoint: string
  out: string
  /** `hf` (default): a Hugging Face folder; `gguf`: one GGUF file; `job`: a PyTorch job folder. */
  format?: string
  /** GGUF only: f32 (default), f16 or q8_0. */
  precision?: string
  json?: boolean
}

export function register(program: Command): void {
  program
    .command('export')
    .description('Export a checkpoint as a Hugging Face model folder (GPT-2, Llama or Qwen2), a GGUF file for llama.cpp and Ollama, or a job that continues the run with PyTorch (torchrun) elsewhere.')
    .requiredOption('--checkpoint <file>', 'checkpoint to export (.safetensors)')
    .requiredOption(
      '--out <path>',
      'hf: folder to write (created if needed; files of the same name are replaced); gguf: the .gguf file to write; job: a new or empty folder',
    )
    .option('--format <format>', `${EXPORT_FORMATS.join(' or ')} (default hf)`)
    .option('--precision <type>', `gguf weights: ${GGUF_PRECISIONS.join(', ')} (default f32)`)
    .option('--json', 'print what was written as JSON')
    .action(async (options: ExportOptions) => {
      await exportCheckpoint(options, (line) => process.stdout.write(`${line}\n`))
    })
}

function checkChoice<T extends string>(value: string | undefined, choices: readonly T[], flag: string, fallback: T): T {
  if (value === undefined) return fallback
  if ((choices as readonly string[]).includes(value)) return value as T
  throw new UserError('invalid-input', `${flag} must be one of ${choices.join(', ')}, got "${value}".`)
}

export async function exportCheckpoint(
  options: ExportOptions,
  print: (line: string) => void,
): Promise<ExportResult | GgufExportResult | JobExportResult> {
  const format = checkChoice<ExportFormat>(options.format, EXPORT_FORMATS, '--format', 'hf')
  if (format === 'gguf') return exportGgufFile(options, print)
  if (format === 'job') return exportJobFolder(options, print)
  if (options.precision !== undefined)
    throw new UserError('invalid-input', '--precision applies to --format gguf only; the Hugging Face folder is always F32.')
  const result = await exportHuggingFace(options.checkpoint, options.out)
  if (options.json) {
    print(JSON.stringify(result, null, 2))
    return result
  }
  print(`Exported ${options.checkpoint} as a Hugging Face ${result.family} model to ${result.outDir}:`)
  const width = Math.max(...result.files.map((f) => f.name.length))
  for (const file of result.files)
    print(`  ${file.name.padEnd(width)}  ${formatBytes(file.bytes).padStart(9)}`)
  if (!result.lmHeadWritten)
    print('The LM head is tied to the token embedding, so lm_head.weight is not stored (tie_word_embeddings: true).')
  if (result.endOfTextId === null)
    print('Note: the tokenizer has no <|endoftext|> token, so bos/eos token ids are unset.')
  print(
    `Load it with ${result.architecture}.from_pretrained("${result.outDir}") and AutoTokenizer.from_pretrained("${result.outDir}").`,
  )
  return result
}

async function exportGgufFile(options: ExportOptions, print: (line: string) => void): Promise<GgufExportResult> {
  const precision = checkChoice<GgufPrecision>(options.precision, GGUF_PRECISIONS, '--precision', 'f32')
  const result = await exportGguf(options.checkpoint, options.out, { precision })
  if (options.json) {
    print(JSON.stringify(result, null, 2))
    return result
  }
  print(`Exported ${options.checkpoint} as GGUF (${result.architecture}, ${precision.toUpperCase()}, ${result.tensorCount} tensors):`)
  print(`  ${result.path}  ${formatBytes(result.bytes)}`)
  print(`  ${result.modelfile}  (for Ollama)`)
  print(`Run it with llama.cpp: llama-completion -m "${result.path}" -p "Once upon a time" -n 100`)
  const ollama = ollamaNames(basename(result.path))
  print(`Or with Ollama, from that folder: ollama create ${ollama.model} -f ${ollama.modelfile} && ollama run ${ollama.model} "Once upon a time"`)
  return result
}
