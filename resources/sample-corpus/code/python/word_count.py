"""Count the words in a text file and print the most common ones."""

import sys
from collections import Counter


def words(text):
    """Split text into lower-case words, dropping punctuation at the edges."""
    for raw in text.split():
        word = raw.strip(".,;:!?\"'()[]").lower()
        if word:
            yield word


def main(path, top=10):
    with open(path, encoding="utf-8") as handle:
        counts = Counter(words(handle.read()))
    for word, count in counts.most_common(top):
        print(f"{count:6d}  {word}")


if __name__ == "__main__":
    main(sys.argv[1])
