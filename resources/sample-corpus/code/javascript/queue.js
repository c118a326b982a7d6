// A queue: first in, first out, without shifting the whole array each time.

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
