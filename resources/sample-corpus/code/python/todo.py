"""A tiny to-do list kept in a text file, one task per line."""

import sys
from pathlib import Path

TODO_FILE = Path("todo.txt")


def load():
    if not TODO_FILE.exists():
        return []
    return [line for line in TODO_FILE.read_text(encoding="utf-8").splitlines() if line]


def save(tasks):
    TODO_FILE.write_text("\n".join(tasks) + "\n", encoding="utf-8")


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
