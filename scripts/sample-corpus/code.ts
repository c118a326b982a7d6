/** Small, plain programs in JavaScript and Python: some written by hand, some from templates. */
import { Random } from './random'

const handWritten: Record<string, string> = {
  'code/python/word_count.py': `"""Count the words in a text file and print the most common ones."""

import sys
from collections import Counter


def words(text):
    """Split text into lower-case words, dropping punctuation at the edges."""
    for raw in text.split():
        word = raw.strip(".,;:!?\\"'()[]").lower()
        if word:
            yield word


def main(path, top=10):
    with open(path, encoding="utf-8") as handle:
        counts = Counter(words(handle.read()))
    for word, count in counts.most_common(top):
        print(f"{count:6d}  {word}")


if __name__ == "__main__":
    main(sys.argv[1])
`,
  'code/python/stack.py': `"""A stack: last in, first out."""


class Stack:
    def __init__(self):
        self._items = []

    def push(self, item):
        self._items.append(item)

    def pop(self):
        if not self._items:
            raise IndexError("pop from an empty stack")
        return self._items.pop()

    def peek(self):
        return self._items[-1] if self._items else None

    def __len__(self):
        return len(self._items)


def balanced(text):
    """True when every bracket in text is closed in the right order."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack = Stack()
    for char in text:
        if char in "([{":
            stack.push(char)
        elif char in pairs:
            if len(stack) == 0 or stack.pop() != pairs[char]:
                return False
    return len(stack) == 0


if __name__ == "__main__":
    for sample in ["(a [b] {c})", "(a]", "((())", ""]:
        print(repr(sample), balanced(sample))
`,
  'code/python/fizzbuzz.py': `"""The classic counting game."""


def fizzbuzz(n):
    if n % 15 == 0:
        return "FizzBuzz"
    if n % 3 == 0:
        return "Fizz"
    if n % 5 == 0:
        return "Buzz"
    return str(n)


for number in range(1, 31):
    print(fizzbuzz(number))
`,
  'code/python/binary_search.py': `"""Binary search in a sorted list."""


def binary_search(items, target):
    """Return the index of target in items, or -1 if it is not there."""
    low, high = 0, len(items) - 1
    while low <= high:
        middle = (low + high) // 2
        if items[middle] == target:
            return middle
        if items[middle] < target:
            low = middle + 1
        else:
            high = middle - 1
    return -1


if __name__ == "__main__":
    numbers = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
    for target in [2, 13, 29, 4]:
        print(target, binary_search(numbers, target))
`,
  'code/python/todo.py': `"""A tiny to-do list kept in a text file, one task per line."""

import sys
from pathlib import Path

TODO_FILE = Path("todo.txt")


def load():
    if not TODO_FILE.exists():
        return []
    return [line for line in TODO_FILE.read_text(encoding="utf-8").splitlines() if line]


def save(tasks):
    TODO_FILE.write_text("\\n".join(tasks) + "\\n", encoding="utf-8")


def main(args):
    tasks = load()
    if not args or args[0] == "list":
        for number, task in enumerate(tasks, start=1):
            print(f"{number}. {task}")
    elif args[0] == "add":
        tasks.append(" ".join(args[1:]))
        save(tasks)
    elif args[0] == "done":
        removed = tasks.pop(int(args[1]) - 1)
        save(tasks)
        print(f"Done: {removed}")
    else:
        print("usage: todo.py [list | add TEXT | done NUMBER]")


if __name__ == "__main__":
    main(sys.argv[1:])
`,
  'code/javascript/word-count.js': `// Count the words in a text and return the most common ones.

function words(text) {
  return text
    .toLowerCase()
    .split(/\\s+/)
    .map((word) => word.replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, ''))
    .filter((word) => word.length > 0)
}

function mostCommon(text, top = 10) {
  const counts = new Map()
  for (const word of words(text)) counts.set(word, (counts.get(word) || 0) + 1)
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
}

const sample = 'the cat sat on the mat and the dog sat on the log'
for (const [word, count] of mostCommon(sample, 3)) {
  console.log(word, count)
}
`,
  'code/javascript/queue.js': `// A queue: first in, first out, without shifting the whole array each time.

class Queue {
  constructor() {
    this.items = []
    this.head = 0
  }

  enqueue(item) {
    this.items.push(item)
  }

  dequeue() {
    if (this.head === this.items.length) throw new Error('dequeue from an empty queue')
    const item = this.items[this.head]
    this.head += 1
    if (this.head > 32 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  get size() {
    return this.items.length - this.head
  }
}

const queue = new Queue()
for (const name of ['Ada', 'Bruno', 'Chen']) queue.enqueue(name)
while (queue.size > 0) console.log('next:', queue.dequeue())
`,
  'code/javascript/binary-search.js': `// Binary search in a sorted array. Returns the index, or -1.

function binarySearch(items, target) {
  let low = 0
  let high = items.length - 1
  while (low <= high) {
    const middle = Math.floor((low + high) / 2)
    if (items[middle] === target) return middle
    if (items[middle] < target) low = middle + 1
    else high = middle - 1
  }
  return -1
}

const primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
for (const target of [2, 13, 29, 4]) {
  console.log(target, binarySearch(primes, target))
}
`,
  'code/javascript/matrix.js': `// Small matrix helpers on arrays of rows.

function zeros(rows, cols) {
  return Array.from({ length: rows }, () => new Array(cols).fill(0))
}

function multiply(a, b) {
  if (a[0].length !== b.length) throw new Error('shapes do not match')
  const result = zeros(a.length, b[0].length)
  for (let i = 0; i < a.length; i++) {
    for (let k = 0; k < b.length; k++) {
      for (let j = 0; j < b[0].length; j++) {
        result[i][j] += a[i][k] * b[k][j]
      }
    }
  }
  return result
}

function transpose(m) {
  return m[0].map((_, j) => m.map((row) => row[j]))
}

const a = [
  [1, 2],
  [3, 4],
]
const identity = [
  [1, 0],
  [0, 1],
]
console.log(multiply(a, identity))
console.log(transpose(a))
`,
  'code/javascript/todo.js': `// A tiny to-do list in memory.

class TodoList {
  constructor() {
    this.tasks = []
  }

  add(text) {
    this.tasks.push({ text, done: false })
    return this.tasks.length
  }

  finish(number) {
    const task = this.tasks[number - 1]
    if (!task) throw new Error('no task number ' + number)
    task.done = true
  }

  remaining() {
    return this.tasks.filter((task) => !task.done).map((task) => task.text)
  }
}

const list = new TodoList()
list.add('water the tomatoes')
list.add('write to Tom')
list.add('mend the gate')
list.finish(2)
console.log(list.remaining())
`,
  'code/shell/backup.sh': `#!/bin/sh
# Copy a folder into backups/ with today's date in the name.
set -eu

source_dir=\${1:?usage: backup.sh FOLDER}
stamp=$(date +%Y-%m-%d)
target="backups/$(basename "$source_dir")-$stamp"

mkdir -p backups
cp -r "$source_dir" "$target"
echo "Copied $source_dir to $target"
`,
}

interface Conversion {
  from: string
  to: string
  factor: number
  offset?: number
}

const conversions: Conversion[] = [
  { from: 'celsius', to: 'fahrenheit', factor: 1.8, offset: 32 },
  { from: 'kilometres', to: 'miles', factor: 0.621371 },
  { from: 'kilograms', to: 'pounds', factor: 2.20462 },
  { from: 'litres', to: 'pints', factor: 1.75975 },
  { from: 'metres', to: 'feet', factor: 3.28084 },
  { from: 'centimetres', to: 'inches', factor: 0.393701 },
  { from: 'hectares', to: 'acres', factor: 2.47105 },
  { from: 'kilojoules', to: 'kilocalories', factor: 0.239006 },
  { from: 'grams', to: 'ounces', factor: 0.035274 },
  { from: 'kilometres per hour', to: 'knots', factor: 0.539957 },
]

const camel = (words: string): string =>
  words
    .split(' ')
    .map((word, i) => (i === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1)))
    .join('')
const snake = (words: string): string => words.replace(/ /g, '_')

function javascriptConverters(random: Random): string {
  const parts = ['// Unit conversions. Each pair has a function both ways.', '']
  for (const c of conversions) {
    const to = camel(`${c.from} to ${c.to}`)
    const back = camel(`${c.to} to ${c.from}`)
    const offset = c.offset ?? 0
    parts.push(
      `/** ${c.from} → ${c.to} */`,
      `function ${to}(value) {`,
      offset ? `  return value * ${c.factor} + ${offset}` : `  return value * ${c.factor}`,
      '}',
      '',
      `/** ${c.to} → ${c.from} */`,
      `function ${back}(value) {`,
      offset ? `  return (value - ${offset}) / ${c.factor}` : `  return value / ${c.factor}`,
      '}',
      '',
    )
  }
  parts.push('// A few examples, printed as a table.')
  for (const c of random.sample(conversions, 4)) {
    const to = camel(`${c.from} to ${c.to}`)
    const value = random.int(1, 100)
    parts.push(`console.log('${value} ${c.from} =', ${to}(${value}).toFixed(2), '${c.to}')`)
  }
  return parts.join('\n') + '\n'
}

function pythonConverters(random: Random): string {
  const parts = ['"""Unit conversions. Each pair has a function both ways."""', '']
  for (const c of conversions) {
    const to = snake(`${c.from} to ${c.to}`)
    const back = snake(`${c.to} to ${c.from}`)
    const offset = c.offset ?? 0
    parts.push(
      '',
      `def ${to}(value):`,
      `    """${c.from} -> ${c.to}"""`,
      offset ? `    return value * ${c.factor} + ${offset}` : `    return value * ${c.factor}`,
      '',
      '',
      `def ${back}(value):`,
      `    """${c.to} -> ${c.from}"""`,
      offset ? `    return (value - ${offset}) / ${c.factor}` : `    return value / ${c.factor}`,
      '',
    )
  }
  parts.push('', 'if __name__ == "__main__":')
  for (const c of random.sample(conversions, 4)) {
    const value = random.int(1, 100)
    parts.push(
      `    print(${value}, "${c.from} =", round(${snake(`${c.from} to ${c.to}`)}(${value}), 2), "${c.to}")`,
    )
  }
  return parts.join('\n') + '\n'
}

const shapes = [
  {
    name: 'Circle',
    fields: ['radius'],
    area: 'PI * r ** 2',
    perimeter: '2 * PI * r',
    alias: { r: 'radius' },
  },
  { name: 'Square', fields: ['side'], area: 's * s', perimeter: '4 * s', alias: { s: 'side' } },
  {
    name: 'Rectangle',
    fields: ['width', 'height'],
    area: 'w * h',
    perimeter: '2 * (w + h)',
    alias: { w: 'width', h: 'height' },
  },
  {
    name: 'Triangle',
    fields: ['a', 'b', 'c'],
    area: 'heron(a, b, c)',
    perimeter: 'a + b + c',
    alias: {} as Record<string, string>,
  },
]

/** Turns 'PI * r ** 2' into 'Math.PI * this.radius ** 2' (or the Python spelling). */
function expression(
  template: string,
  alias: Record<string, string>,
  self: string,
  pi: string,
): string {
  return template
    .replace(/\b([a-z])\b/g, (_, letter: string) => `${self}.${alias[letter] ?? letter}`)
    .replace(/PI/g, pi)
}

function javascriptShapes(): string {
  const lines = [
    '// Shapes that know their area and perimeter.',
    '',
    'function heron(a, b, c) {',
    '  const s = (a + b + c) / 2',
    '  return Math.sqrt(s * (s - a) * (s - b) * (s - c))',
    '}',
    '',
  ]
  for (const shape of shapes) {
    lines.push(
      `class ${shape.name} {`,
      `  constructor(${shape.fields.join(', ')}) {`,
      ...shape.fields.map((field) => `    this.${field} = ${field}`),
      '  }',
      '',
      '  area() {',
      `    return ${expression(shape.area, shape.alias, 'this', 'Math.PI')}`,
      '  }',
      '',
      '  perimeter() {',
      `    return ${expression(shape.perimeter, shape.alias, 'this', 'Math.PI')}`,
      '  }',
      '}',
      '',
    )
  }
  lines.push(
    'for (const shape of [new Circle(1), new Square(2), new Rectangle(2, 3), new Triangle(3, 4, 5)]) {',
    '  console.log(shape.constructor.name, shape.area().toFixed(2), shape.perimeter().toFixed(2))',
    '}',
  )
  return lines.join('\n') + '\n'
}

function pythonShapes(): string {
  const lines = [
    '"""Shapes that know their area and perimeter."""',
    '',
    'from math import pi, sqrt',
    '',
    '',
    'def heron(a, b, c):',
    '    s = (a + b + c) / 2',
    '    return sqrt(s * (s - a) * (s - b) * (s - c))',
    '',
  ]
  for (const shape of shapes) {
    lines.push(
      '',
      `class ${shape.name}:`,
      `    def __init__(self, ${shape.fields.join(', ')}):`,
      ...shape.fields.map((field) => `        self.${field} = ${field}`),
      '',
      '    def area(self):',
      `        return ${expression(shape.area, shape.alias, 'self', 'pi')}`,
      '',
      '    def perimeter(self):',
      `        return ${expression(shape.perimeter, shape.alias, 'self', 'pi')}`,
      '',
    )
  }
  lines.push(
    '',
    'if __name__ == "__main__":',
    '    for shape in [Circle(1), Square(2), Rectangle(2, 3), Triangle(3, 4, 5)]:',
    '        print(type(shape).__name__, round(shape.area(), 2), round(shape.perimeter(), 2))',
  )
  return lines.join('\n') + '\n'
}

export function codeFiles(random: Random): Map<string, string> {
  const files = new Map(Object.entries(handWritten))
  files.set('code/javascript/convert.js', javascriptConverters(random))
  files.set('code/python/convert.py', pythonConverters(random))
  files.set('code/javascript/shapes.js', javascriptShapes())
  files.set('code/python/shapes.py', pythonShapes())
  return files
}
