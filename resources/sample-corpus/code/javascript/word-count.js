// Count the words in a text and return the most common ones.

function words(text) {
  return text
    .toLowerCase()
    .split(/\s+/)
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
