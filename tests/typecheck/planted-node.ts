// A deliberate type error: `npm test` proves the node typecheck reports it (and so checks files).
export const planted: number = 'not a number'
