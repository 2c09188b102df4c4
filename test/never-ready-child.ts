// A service that starts and never gets ready, for bench-subject-process.test.ts: prints its pid, then idles.
process.stdout.write(`${process.pid}\n`)
setInterval(() => {}, 1_000)
