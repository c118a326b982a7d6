// Small matrix helpers on arrays of rows.

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
