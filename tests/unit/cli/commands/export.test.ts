import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { exportCheckpoint, register } from '../../../../src/cli/commands/export'
import { saveCheckpoint } from '../../../../src/main/engine/checkpoints'
import { UserError } from '../../../../src/shared/errors'
import { gpt2TokenizerJson, LLAMA_TINY, makeCheckpoint, tempDir, TINY } from '../../main/engine/checkpoints/fixtures'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => ({ dir, cleanup } = await tempDir()))
afterEach(async () => {
  vi.restoreAllMocks()
  await cleanup()
})

describe('cllm export', () => {
  it('writes the Hugging Face folder and prints each file with its size', async () => {
    const checkpoint = join(dir, 'final_model.safetensors')
    await saveCheckpoint(checkpoint, makeCheckpoint())
    const out = join(dir, 'hf')
    const lines: string[] = []
    await exportCheckpoint({ checkpoint, out }, (line) => lines.push(line))

    expect(lines[0]).toBe(`Exported ${checkpoint} as a Hugging Face GPT-2 model to ${out}:`)
    const files = (await readdir(out)).sort()
    for (const file of files)
      expect(lines.some((l) => new RegExp(`^  ${file.replace('.', '\\.')} +\\d`).test(l))).toBe(
        true,
      )
    expect(lines.join('\n')).toMatch(/lm_head\.weight is not stored/)
  })

  it('writes a GGUF file and a Modelfile with --format gguf, at the precision asked', async () => {
    const checkpoint = join(dir, 'final_model.safetensors')
    const input = makeCheckpoint()
    input.metadata.tokenizer = JSON.stringify({
      ...JSON.parse(input.metadata.tokenizer),
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false },
    })
    await saveCheckpoint(checkpoint, input)
    const out = join(dir, 'model.gguf')
    const lines: string[] = []
    await exportCheckpoint({ checkpoint, out, format: 'gguf', precision: 'f16' }, (line) => lines.push(line))
    expect(lines[0]).toBe(`Exported ${checkpoint} as GGUF (gpt2, F16, ${2 + 12 * TINY.nLayers + 2} tensors):`)
    expect(lines.join('\n')).toMatch(/ollama create model -f model\.Modelfile && ollama run model /)
    expect((await readdir(dir)).sort()).toEqual(['final_model.safetensors', 'model.Modelfile', 'model.gguf'])
    expect((await readFile(out)).readUInt32LE(4)).toBe(3)
  })

  it('refuses an unknown --format or --precision, and --precision for the folder, naming the flag', async () => {
    const checkpoint = join(dir, 'c.safetensors')
    await saveCheckpoint(checkpoint, makeCheckpoint())
    const run = (extra: Record<string, string>) =>
      exportCheckpoint({ checkpoint, out: join(dir, 'x'), ...extra }, () => undefined)
    await expect(run({ format: 'onnx' })).rejects.toThrow('--format must be one of hf, gguf, job, got "onnx".')
    await expect(run({ format: 'gguf', precision: 'q4_k' })).rejects.toThrow(/^--precision must be one of f32, f16, q8_0/)
    await expect(run({ precision: 'f16' })).rejects.toThrow(/--precision applies to --format gguf only/)
    expect(await readdir(dir)).toEqual(['c.safetensors'])
  })

  it('exports a Llama run to both formats, naming its class and llama.cpp architecture', async () => {
    const checkpoint = join(dir, 'llama.safetensors')
    const input = makeCheckpoint({ ...LLAMA_TINY, tiedEmbeddings: false })
    input.metadata.tokenizer = gpt2TokenizerJson()
    await saveCheckpoint(checkpoint, input)
    const lines: string[] = []
    await exportCheckpoint({ checkpoint, out: join(dir, 'hf') }, (line) => lines.push(line))
    expect(lines[0]).toBe(`Exported ${checkpoint} as a Hugging Face Llama model to ${join(dir, 'hf')}:`)
    expect(lines.join('\n')).not.toMatch(/lm_head\.weight is not stored/) // untied: it is stored
    expect(lines.at(-1)).toMatch(/^Load it with LlamaForCausalLM\.from_pretrained\(/)
    lines.length = 0
    await exportCheckpoint({ checkpoint, out: join(dir, 'llama.gguf'), format: 'gguf', precision: 'q8_0' }, (line) => lines.push(line))
    // Embedding, 2 × 9 per block, the final norm and the untied output.
    expect(lines[0]).toBe(`Exported ${checkpoint} as GGUF (llama, Q8_0, ${1 + 9 * LLAMA_TINY.nLayers + 2} tensors):`)
  })

  it('refuses a Llama run whose tokenizer llama.cpp would split differently in one sentence', async () => {
    const checkpoint = join(dir, 'llama.safetensors')
    const input = makeCheckpoint(LLAMA_TINY)
    const tokenizer = JSON.parse(gpt2TokenizerJson()) as { model: Record<string, unknown> }
    tokenizer.model.ignore_merges = true
    input.metadata.tokenizer = JSON.stringify(tokenizer)
    await saveCheckpoint(checkpoint, input)
    const error = await exportCheckpoint({ checkpoint, out: join(dir, 'm.gguf'), format: 'gguf' }, () => undefined).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UserError)
    expect((error as Error).message).toBe(
      `${checkpoint} has a tokenizer llama.cpp would split differently (model.ignore_merges is true with gpt-2 pre-tokenization, which llama.cpp does not combine); only byte-level BPE with GPT-2's, SmolLM's, Qwen2's or Llama 3's pre-tokenizer can be exported to GGUF.`,
    )
    expect(await readdir(dir)).toEqual(['llama.safetensors'])
  })

  it('refuses a word-tokenizer checkpoint with a sentence, writing nothing', async () => {
    const checkpoint = join(dir, 'w.safetensors')
    await saveCheckpoint(checkpoint, makeCheckpoint(TINY, { tokenizerKind: 'word' }))
    await expect(
      exportCheckpoint({ checkpoint, out: join(dir, 'hf') }, () => undefined),
    ).rejects.toBeInstanceOf(UserError)
    expect(await readdir(dir)).toEqual(['w.safetensors'])
  })

  it('is wired to the command line and requires --checkpoint and --out', async () => {
    const checkpoint = join(dir, 'c.safetensors')
    await saveCheckpoint(checkpoint, makeCheckpoint())
    const written: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk))
      return true
    })
    const program = new Command('cllm').exitOverride()
    register(program)
    await program.parseAsync(
      ['export', '--checkpoint', checkpoint, '--out', join(dir, 'hf'), '--json'],
      { from: 'user' },
    )
    vi.restoreAllMocks()
    expect(JSON.parse(written.join('')).files.map((f: { name: string }) => f.name)).toContain(
      'model.safetensors',
    )

    const missing = new Command('cllm')
      .exitOverride()
      .configureOutput({ writeErr: () => undefined })
    register(missing)
    await expect(
      missing.parseAsync(['export', '--checkpoint', checkpoint], { from: 'user' }),
    ).rejects.toThrow(/--out/)
  })
})
