/** The default branch of an exhaustive switch: unreachable at compile time, loud at run time. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`)
}
