// Binary search in a sorted array. Returns the index, or -1.

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
