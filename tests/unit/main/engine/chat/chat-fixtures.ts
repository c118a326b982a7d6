/** A small folder of chat data in the three shapes, with one bad line, for training tests. */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface ChatWorkspace {
  root: string
  data: string
  checkpoints: string
  cleanup(): Promise<void>
}

/** Seeded question/answer pairs: "What colour is the cat?" → "The cat is red." and sums. */
export async function chatWorkspace(pairs = 60): Promise<ChatWorkspace> {
  const root = await mkdtemp(join(tmpdir(), 'cllm-chat-'))
  const data = join(root, 'data')
  await mkdir(data)
  const colours = ['red', 'blue', 'green', 'yellow', 'black', 'white']
  const animals = ['cat', 'dog', 'owl', 'fox', 'hen', 'cow']
  let seed = 7
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed % n
  }
  const messages: string[] = []
  for (let i = 0; i < pairs; i++) {
    const animal = animals[i % animals.length]
    const colour = colours[(i * 5 + next(2)) % colours.length]
    messages.push(JSON.stringify({ messages: [{ role: 'user', content: `What colour is the ${animal}?` }, { role: 'assistant', content: `The ${animal} is ${colour}.` }] }))
  }
  const alpaca: string[] = []
  for (let i = 0; i < pairs / 2; i++) {
    const x = 1 + next(9)
    const y = 1 + next(9)
    alpaca.push(JSON.stringify({ instruction: 'Add the numbers.', input: `${x} + ${y}`, output: `${x + y}` }))
  }
  alpaca.splice(3, 0, '{"instruction": "broken"')
  const completions = Array.from({ length: pairs / 4 }, (_, i) => JSON.stringify({ prompt: `Count to ${1 + (i % 4)}.`, completion: Array.from({ length: 1 + (i % 4) }, (_, k) => k + 1).join(' ') }))
  await writeFile(join(data, 'colours.jsonl'), messages.join('\n') + '\n')
  await writeFile(join(data, 'sums.jsonl'), alpaca.join('\n') + '\n')
  await writeFile(join(data, 'counting.jsonl'), completions.join('\n') + '\n')
  return { root, data, checkpoints: join(root, 'checkpoints'), cleanup: () => rm(root, { recursive: true, force: true }) }
}

/** A tiny model trained on the chat workspace: its final_model path. */
export async function tinyChatCheckpoint(ws: ChatWorkspace, steps = 120, runName = 'tiny-chat', seqLen = 64): Promise<string> {
  const { createSession } = await import('../../../../../src/main/engine/session')
  const session = await createSession({
    folder: ws.data,
    sample: false,
    config: {
      model: { vocabSize: 300, embedDim: 32, numLayers: 1, numHeads: 2, seqLen },
      training: { threads: 2, batchSize: 8, maxSteps: steps, learningRate: 0.01, evalInterval: steps },
      paths: { checkpointDir: ws.checkpoints, runName },
    },
  })
  const finished = await session.run()
  if (finished.state !== 'done' || !finished.checkpoint) throw new Error(`tiny chat run failed: ${finished.message}`)
  return finished.checkpoint
}
