/**
 * Lets the event loop run what waits in it (a timer that came due, an answer on a socket) before the
 * caller goes on with long synchronous work. Awaiting promises alone never lets them in.
 */
export function loopTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * Runs `steps` to their end and returns what they return, letting the event loop in (loopTurn) each
 * time a run of steps has held it for `sliceMs`: long synchronous work (encoding a large state) in
 * slices, so a timer or an answer that comes meanwhile waits about a slice, not the whole work. The
 * steps must read nothing that changes between them (the work done so far is kept across turns).
 */
export async function runInSlices<T>(steps: Iterator<void, T, void>, sliceMs: number): Promise<T> {
  let sliceStart = performance.now()
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
    if (performance.now() - sliceStart >= sliceMs) {
      await loopTurn()
      sliceStart = performance.now()
    }
  }
}
