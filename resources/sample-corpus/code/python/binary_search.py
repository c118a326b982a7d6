"""Binary search in a sorted list."""


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
