"""A stack: last in, first out."""


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
