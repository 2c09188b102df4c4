import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

/** Where tests leave files for a person to look at (screenshots, charts): test-output/, gitignored. */
export async function testOutputDir(): Promise<string> {
  const dir = fileURLToPath(new URL('../test-output/', import.meta.url))
  await mkdir(dir, { recursive: true })
  return dir
}
