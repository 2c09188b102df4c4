// A bench as `pnpm bench:*` runs one, for bench-pipeline.int.test.ts: the multi-process pipeline on the
// brokers in argv, its processes' ids printed as one JSON line, then waiting until it is interrupted.
import { withProcessPipeline } from '../bench/process-pipeline.ts'
import { standalone } from '../bench/teardown.ts'

const [brokers = ''] = process.argv.slice(2)
await standalone(() =>
  withProcessPipeline(brokers.split(','), { appId: 7303, name: 'teardown-signal' }, async ({ pids }) => {
    process.stdout.write(`${JSON.stringify(Object.values(pids))}\n`)
    await new Promise(() => {})
  }),
)
