import { defineConfig } from 'vitest/config'

const sources = ['packages/*/src/**', 'services/*/src/**', 'test/**', 'drills']

// Workspace packages export their sources under this condition and their build (dist/) otherwise:
// tests, and every process a test spawns (through NODE_OPTIONS), run from the sources.
const SOURCE = '@mixguard/source'

export default defineConfig({
  resolve: { conditions: [SOURCE, 'module', 'node', 'development|production'] },
  ssr: { resolve: { conditions: [SOURCE, 'module', 'node', 'development|production'] } },
  test: {
    env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=${SOURCE}`.trim() },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: sources.map((s) => `${s}/*.test.ts`),
          // Property tests run hundreds of scenarios each; on a busy 2-core machine 5 s is too tight.
          testTimeout: 30_000,
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: sources.map((s) => `${s}/*.int.test.ts`),
          exclude: ['**/node_modules/**'],
          // One real broker per run, shared by every integration test (each test uses its own topics).
          globalSetup: ['test/kafka-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
          // One file at a time: the pipeline tests run ZEGO's clock accelerated, and on a 2-core machine
          // several pipelines at once turn CPU contention into simulated minutes.
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
})
