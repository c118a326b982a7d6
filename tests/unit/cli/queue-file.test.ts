import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { register } from '../../../src/cli/commands/queue'
import { editDistance, parseQueueFile, QUEUE_FILE_EXAMPLE } from '../../../src/cli/queue-file'

const parse = (json: unknown) => () => parseQueueFile(json, 'q.json')

describe('the cllm queue file', () => {
  it('refuses a misspelled setting, naming it and the nearest valid key (the issue\'s file)', () => {
    expect(parse([{ folder: 'notes', config: { 'learning-rate': 0.003, 'max-steps': 40 } }])).toThrow(
      'Queue file q.json: run 1: unknown key "config.learning-rate"; did you mean "config.training.learningRate"?',
    )
    expect(parse([{ folder: 'a' }, { folder: 'a', config: { training: { maxStep: 40 } } }])).toThrow(
      'run 2: unknown key "config.training.maxStep"; did you mean "config.training.maxSteps"?',
    )
    // A setting in the wrong section, or directly in the run, points to where it belongs.
    expect(parse([{ folder: 'a', config: { training: { seqLen: 64 } } }])).toThrow('did you mean "config.model.seqLen"?')
    expect(parse([{ folder: 'a', learningRate: 0.01 }])).toThrow('unknown key "learningRate"; did you mean "config.training.learningRate"?')
    expect(parse([{ foldr: 'a' }])).toThrow('unknown key "foldr"; did you mean "folder"?')
    expect(parse([{ folder: 'a', config: { trainig: {} } }])).toThrow('did you mean "config.training"?')
    // Nothing close: no guess, a pointer to the keys.
    expect(parse([{ folder: 'a', config: { model: { zzzzzzzzzz: 1 } } }])).toThrow(
      'unknown key "config.model.zzzzzzzzzz" (see cllm queue --help for the keys a run takes).',
    )
  })

  it('says in words what is wrong with the list itself', () => {
    expect(parse({ folder: 'notes' })).toThrow('Queue file q.json: must be a JSON list of runs, like [{"folder": "notes", "config": {…}}], not an object.')
    expect(parse([])).toThrow('lists no runs')
    expect(parse(['notes'])).toThrow('run 1 must be an object like {"folder": "notes"}, not a string.')
    expect(parse([{ config: {} }])).toThrow('run 1: "folder" is missing.')
    expect(parse([{ folder: 'a', config: { training: 3 } }])).toThrow('"config.training" must be an object of settings, not a number.')
    for (const message of ['Invalid input', 'expected array', 'the list']) {
      expect(parse({ folder: 'notes' })).not.toThrow(message)
    }
  })

  it('accepts every key a run takes, and the example it shows', () => {
    const items = parseQueueFile(JSON.parse(QUEUE_FILE_EXAMPLE), 'q.json')
    expect(items).toHaveLength(3)
    expect(items[2].resume).toMatch(/checkpoint_step_400/)
    expect(parseQueueFile([{ folder: 'a', config: { model: { vocabSize: 600 }, training: { split: 'files', valFraction: 0.2 }, paths: { runName: 'x' } } }], 'q.json')).toHaveLength(1)
  })

  it('--help shows the shape of the file with an example', () => {
    const program = new Command('cllm').exitOverride()
    let help = ''
    program.configureOutput({ writeOut: (text) => (help += text) })
    register(program)
    expect(() => program.parse(['node', 'cllm', 'queue', '--help'])).toThrow()
    expect(help).toContain('The file is a JSON list of runs')
    expect(help).toContain('learningRate, epochs, maxSteps')
    expect(help).toContain('"folder": "notes", "config": { "training": { "learningRate": 0.003')
  })

  it('measures edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('', 'abc')).toBe(3)
    expect(editDistance('same', 'same')).toBe(0)
  })
})
