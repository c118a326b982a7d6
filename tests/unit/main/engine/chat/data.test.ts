import { describe, expect, it } from 'vitest'
import { readChatData, requireConversations, selectData } from '../../../../../src/main/engine/chat/data'
import { UserError } from '../../../../../src/shared/errors'

const text = { path: 'notes.txt', text: 'Plain text.' }
const chat = { path: 'chat/a.jsonl', text: '{"prompt":"a","completion":"b"}\n' }
const broken = { path: 'chat/b.jsonl', text: 'oops\n{"instruction":"i","output":"o"}\n' }

describe('selectData', () => {
  it('keeps a plain-text folder as text and a .jsonl folder as chat', () => {
    expect(selectData([text]).kind).toBe('text')
    expect(selectData([chat, broken]).kind).toBe('chat')
  })

  it('refuses a folder that mixes both, with the reason, unless a kind is chosen', () => {
    let error: unknown
    try {
      selectData([text, chat])
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(UserError)
    expect((error as Error).message).toBe(
      'The folder mixes plain text (1 file, e.g. notes.txt) and chat data (1 .jsonl file, e.g. chat/a.jsonl): train on one kind — choose chat or text (--data chat|text).',
    )
    expect(selectData([text, chat], 'chat')).toEqual({ kind: 'chat', documents: [chat] })
    expect(selectData([text, chat], 'text')).toEqual({ kind: 'text', documents: [text] })
    expect(() => selectData([text], 'chat')).toThrow(/no .jsonl chat data/)
  })
})

describe('readChatData', () => {
  it('counts conversations per file and lists every bad line', () => {
    const data = readChatData([chat, broken, text])
    expect(data.summary).toEqual({
      files: [
        { path: 'chat/a.jsonl', shape: 'prompt-completion', conversations: 1, badLines: 0 },
        { path: 'chat/b.jsonl', shape: 'alpaca', conversations: 1, badLines: 1 },
      ],
      conversations: 2,
      issues: [{ file: 'chat/b.jsonl', line: 1, reason: expect.stringMatching(/^not valid JSON/) }],
    })
  })

  it('refuses chat data without one usable conversation, naming the bad lines', () => {
    const data = readChatData([{ path: 'x.jsonl', text: '{"prompt":"","completion":"b"}\n' }])
    expect(() => requireConversations(data)).toThrow(
      'The chat data holds no usable conversation: x.jsonl:1: "prompt" must be a non-empty string.',
    )
  })
})
