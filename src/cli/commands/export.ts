/**
 * `cllm export --checkpoint <file> --out <dir>`: a Hugging Face GPT-2 folder (model.safetensors,
 * config.json, tokenizer.json, …) from a checkpoint, and a list of what was written.
 */
import type { Command } from 'commander'
import { exportHuggingFace, type ExportResult } from '../../main/engine/checkpoints'
import { formatBytes } from './checkpoints'

export interface ExportOptions {
  checkpoint: string
  out: string
  json?: boolean
}

export function register(program: Command): void {
  program
    .command('export')
    .description('Export a checkpoint as a Hugging Face GPT-2 model folder.')
    .requiredOption('--checkpoint <file>', 'checkpoint to export (.safetensors)')
    .requiredOption(
      '--out <dir>',
      'folder to write (created if needed; files of the same name are replaced)',
    )
    .option('--json', 'print what was written as JSON')
    .action(async (options: ExportOptions) => {
      await exportCheckpoint(options, (line) => process.stdout.write(`${line}\n`))
    })
}

export async function exportCheckpoint(
  options: ExportOptions,
  print: (line: string) => void,
): Promise<ExportResult> {
  const result = await exportHuggingFace(options.checkpoint, options.out)
  if (options.json) {
    print(JSON.stringify(result, null, 2))
    return result
  }
  print(`Exported ${options.checkpoint} as a Hugging Face GPT-2 model to ${result.outDir}:`)
  const width = Math.max(...result.files.map((f) => f.name.length))
  for (const file of result.files)
    print(`  ${file.name.padEnd(width)}  ${formatBytes(file.bytes).padStart(9)}`)
  print(
    'The LM head is tied to transformer.wte.weight, so lm_head.weight is not stored (tie_word_embeddings: true).',
  )
  if (result.endOfTextId === null)
    print('Note: the tokenizer has no <|endoftext|> token, so bos/eos token ids are unset.')
  print(
    `Load it with GPT2LMHeadModel.from_pretrained("${result.outDir}") and AutoTokenizer.from_pretrained("${result.outDir}").`,
  )
  return result
}
