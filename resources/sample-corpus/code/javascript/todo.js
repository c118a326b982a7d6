// A tiny to-do list in memory.

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
