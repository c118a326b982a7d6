import { UserError } from '../../../../shared/errors'
import { selectData } from '../../chat/data'
import { DEFAULT_TEMPLATE_SOURCE } from '../../chat/model-template'
import { prepareDataset } from '../../dataset'
import type { Handlers } from '../dispatcher'
import type { EngineContext } from '../engine-api'
import { checkpointRoot } from './access'

/** Characters of a file shown as coloured tokens: enough to judge the tokenizer, cheap to draw. */
const PREVIEW_CHARS = 3000

/**
 * The Data view's "Tokenize" step: trains the tokenizer and encodes the scanned corpus (the texts
 * already in memory, not read again), so the user sees vocabulary, token counts and compression
 * before training. The result is cached, so repeating it with the same settings is instant, and a
 * run started with the same settings reuses it (the session looks for it here) instead of encoding
 * again. Chat data (`.jsonl`; Train on) is prepared as a run from scratch prepares it: the default
 * template, packed windows, the chosen Loss on, with its prompt, answer and loss-bearing tokens.
 */
export function createDatasetHandlers(context: EngineContext): Pick<Handlers, 'dataset.prepare'> {
  // Beside the runs, hidden: the scan never reads the checkpoint folder, the listing skips it.
  // A real folder in the checkpoint folder, made if missing; a link there is refused.
  const preparedFolder = (): string => checkpointRoot(context).folder('.prepare', { create: true })
  let busy = false
  return {
    'dataset.prepare': async (input) => {
      const corpus = context.corpus.current
      if (!corpus) throw new UserError('invalid-input', 'Scan a folder before tokenizing it.')
      if (busy) throw new UserError('busy', 'The corpus is already being tokenized.')
      busy = true
      try {
        // The files a run would train on, as the session selects them (a mix is refused with the reason).
        const selection = selectData(corpus.documents.filter((d) => d.text.length > 0), input.data)
        const prepared = await prepareDataset({
          documents: selection.documents,
          ...(selection.kind === 'chat' ? { chat: { template: DEFAULT_TEMPLATE_SOURCE, lossOn: input.lossOn } } : {}),
          tokenizer: { kind: input.tokenizer, vocabSize: input.vocabSize },
          runDir: preparedFolder(),
          seqLen: input.seqLen,
          seed: input.seed,
          validationFraction: input.valFraction,
          splitMethod: input.split,
          onProgress: (progress) => context.events.emit('dataset.progress', progress),
        })
        const document =
          corpus.documents.find((candidate) => candidate.path === input.previewPath) ??
          corpus.documents[0]
        const previewText = document?.text.slice(0, PREVIEW_CHARS) ?? ''
        const ids = prepared.tokenizer.encode(previewText)
        return {
          ...prepared.summary,
          reused: prepared.reused,
          preview: document
            ? { path: document.path, ids: [...ids], pieces: prepared.tokenizer.pieces(ids) }
            : null,
        }
      } finally {
        busy = false
      }
    },
  }
}
