// `./mixguard explain|tail|dead-letter|report …`: the operator and analyst tools (see cli.ts --help).
import { runCli } from './cli.ts'

const interrupted = new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve())
  process.once('SIGTERM', () => resolve())
})
runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  now: Date.now,
  interrupted,
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mixguard: ${(error as Error).message}\n`)
    process.exit(1)
  },
)
