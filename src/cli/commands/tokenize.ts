/**
 * `cllm tokenize --tokenizer <file|folder|checkpoint> --text "…"`: the ids and pieces a tokenizer
 * gives a text (`--json` for machine use). The tokenizer comes from a `tokenizer.json` or
 * `vocab.txt`, a run folder holding one, or a checkpoint (`.safetensors`, whose metadata holds it).
 */
import { stat } from 'node:fs/promises'
import type { Command } from 'commander'
import { readCheckpointInfo } from '../../main/engine/checkpoints'
import { loadTokenizer, parseTokenizer, type Tokenizer } from '../../main/engine/tokenizer'
import { UserError } from '../../shared/errors'
import type { TokenPreview } from '../../shared/tokenizer'

export interface TokenizeOptions {
  tokenizer: string
  text: string
  json?: boolean
}

export interface TokenizeResult extends TokenPreview {
  tokenizer: { kind: Tokenizer['kind']; vocabSize: number; source: string }
}

export function register(program: Command): void {
  program
    .command('tokenize')
    .description('Show the tokens a tokenizer gives a text.')
    .requiredOption(
      '--tokenizer <path>',
      'tokenizer.json or vocab.txt, a run folder holding one, or a checkpoint (.safetensors)',
    )
    .requiredOption('--text <text>', 'the text to tokenize')
    .option('--json', 'print ids and pieces as JSON')
    .action(async (options: TokenizeOptions) => {
      await tokenizeCommand(options, (line) => process.stdout.write(`${line}\n`))
    })
}

export async function tokenizeCommand(
  options: TokenizeOptions,
  print: (line: string) => void,
): Promise<TokenizeResult> {
  if (options.text.length === 0)
    throw new UserError('invalid-input', '--text is empty: give some text to tokenize.')
  const tokenizer = await resolveTokenizer(options.tokenizer)
  const ids = tokenizer.encode(options.text)
  const result: TokenizeResult = {
    tokenizer: { kind: tokenizer.kind, vocabSize: tokenizer.vocabSize, source: options.tokenizer },
    ids,
    pieces: tokenizer.pieces(ids),
  }
  if (options.json) {
    print(JSON.stringify(result, null, 2))
    return result
  }
  const count = ids.length === 1 ? '1 token' : `${ids.length} tokens`
  print(
    `${count} (${tokenizer.kind} tokenizer, vocabulary ${tokenizer.vocabSize}, from ${options.tokenizer})`,
  )
  print(`ids:    [${ids.join(', ')}]`)
  print(`pieces: [${result.pieces.map((piece) => JSON.stringify(piece)).join(', ')}]`)
  return result
}

/** A tokenizer from its file, a folder holding its file, or a checkpoint's metadata. */
export async function resolveTokenizer(path: string): Promise<Tokenizer> {
  const info = await stat(path).catch(() => undefined)
  if (info?.isFile() && path.endsWith('.safetensors')) {
    const { metadata } = await readCheckpointInfo(path)
    const tokenizer = parseTokenizer(metadata.tokenizer, `the tokenizer in ${path}`)
    if (tokenizer.kind !== metadata.tokenizerKind) {
      throw new UserError(
        'corrupt-checkpoint',
        `${path} says its tokenizer is ${metadata.tokenizerKind} but holds a ${tokenizer.kind} one.`,
      )
    }
    return tokenizer
  }
  return loadTokenizer(path)
}
