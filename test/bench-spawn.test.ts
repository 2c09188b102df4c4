// A tool a bench runs that is not installed (wrk on a fresh machine) ends the bench's wait for it with
// the reason, instead of leaving the bench waiting for an exit that never comes.
import { expect, it } from 'vitest'
import { spawnOwned } from '../bench/teardown.ts'

it('a command that cannot start counts as exited, with the spawn error kept', async () => {
  const owned = spawnOwned('mixguard-no-such-tool', ['--version'])
  const errors: Error[] = []
  owned.child.once('error', (error) => errors.push(error))
  await expect(owned.exited).resolves.toBeNull()
  expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOENT'])
  await owned.stop()
})
