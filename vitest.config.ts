import { defineConfig } from 'vitest/config'

const sources = ['packages/*/src/**', 'services/*/src/**', 'test/**']

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: sources.map((s) => `${s}/*.test.ts`),
          // Property tests run hundreds of scenarios each; on a busy 2-core machine 5 s is too tight.
          testTimeout: 30_000,
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
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
