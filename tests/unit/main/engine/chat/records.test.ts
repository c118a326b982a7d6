import { describe, expect, it } from 'vitest'
import { parseChatFile, isChatFile } from '../../../../../src/main/engine/chat/records'

const lines = (...records: unknown[]): string => records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n'

describe('parseChatFile', () => {
  it('reads the messages shape', () => {
    const parsed = parseChatFile('chat.jsonl', lines(
      { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }] },
      { messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }, { role: 'assistant', content: 'd' }] },
    ))
    expect(parsed.shape).toBe('messages')
    expect(parsed.issues).toEqual([])
    expect(parsed.conversations.map((c) => c.line)).toEqual([1, 2])
    expect(parsed.conversations[0].messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
    ])
    expect(parsed.conversations[1].messages).toHaveLength(4)
  })

  it('reads the Alpaca shape, joining instruction and input', () => {
    const parsed = parseChatFile('alpaca.jsonl', lines(
      { instruction: 'Add.', input: '2 + 2', output: '4' },
      { instruction: 'Say hi.', input: '', output: 'Hi!' },
      { instruction: 'Say bye.', output: 'Bye!' },
    ))
    expect(parsed.shape).toBe('alpaca')
    expect(parsed.issues).toEqual([])
    expect(parsed.conversations.map((c) => c.messages)).toEqual([
      [{ role: 'user', content: 'Add.\n\n2 + 2' }, { role: 'assistant', content: '4' }],
      [{ role: 'user', content: 'Say hi.' }, { role: 'assistant', content: 'Hi!' }],
      [{ role: 'user', content: 'Say bye.' }, { role: 'assistant', content: 'Bye!' }],
    ])
  })

  it('reads the prompt-completion shape', () => {
    const parsed = parseChatFile('pc.jsonl', lines({ prompt: 'Capital of France?', completion: 'Paris.' }))
    expect(parsed.shape).toBe('prompt-completion')
    expect(parsed.conversations[0].messages).toEqual([
      { role: 'user', content: 'Capital of France?' },
      { role: 'assistant', content: 'Paris.' },
    ])
  })

  it('reports every bad line with its line number and reason, and keeps the good ones', () => {
    const parsed = parseChatFile('mixed.jsonl', lines(
      { prompt: 'a', completion: 'b' },
      '{not json',
      '[1, 2]',
      { question: 'x' },
      { instruction: 'i', output: 'o' },
      '',
      { prompt: '', completion: 'b' },
      { prompt: 'c', completion: 'd' },
    ))
    expect(parsed.shape).toBe('prompt-completion')
    expect(parsed.conversations.map((c) => c.line)).toEqual([1, 8])
    expect(parsed.issues.map((i) => [i.file, i.line])).toEqual([
      ['mixed.jsonl', 2], ['mixed.jsonl', 3], ['mixed.jsonl', 4], ['mixed.jsonl', 5], ['mixed.jsonl', 7],
    ])
    expect(parsed.issues[0].reason).toMatch(/not valid JSON/)
    expect(parsed.issues[1].reason).toBe('not a JSON object')
    expect(parsed.issues[2].reason).toMatch(/none of the shapes/)
    expect(parsed.issues[3].reason).toMatch(/alpaca record in a file of prompt-completion records/)
    expect(parsed.issues[4].reason).toBe('"prompt" must be a non-empty string')
  })

  it('refuses bad messages with the reason', () => {
    const parsed = parseChatFile('bad.jsonl', lines(
      { messages: [{ role: 'bot', content: 'x' }] },
      { messages: [{ role: 'user', content: 'x' }] },
      { messages: [{ role: 'user', content: 3 }, { role: 'assistant', content: 'y' }] },
      { messages: [{ role: 'user', content: 'x' }, { role: 'system', content: 's' }, { role: 'assistant', content: 'y' }] },
      { messages: [] },
    ))
    expect(parsed.conversations).toEqual([])
    expect(parsed.issues.map((i) => i.reason)).toEqual([
      'messages[0].role is "bot": use "system", "user" or "assistant"',
      'has no assistant message with content to learn from',
      'messages[0].content must be a string',
      'messages[1] is a system message after the first message',
      '"messages" must be a non-empty array',
    ])
  })

  it('takes Windows line ends and blank lines', () => {
    const parsed = parseChatFile('crlf.jsonl', '{"prompt":"a","completion":"b"}\r\n\r\n{"prompt":"c","completion":"d"}\r\n')
    expect(parsed.issues).toEqual([])
    expect(parsed.conversations.map((c) => c.line)).toEqual([1, 3])
  })

  it('knows chat files by extension', () => {
    expect(isChatFile('a/b.jsonl')).toBe(true)
    expect(isChatFile('a/b.JSONL')).toBe(true)
    expect(isChatFile('a/b.json')).toBe(false)
  })
})
