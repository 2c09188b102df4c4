/**
 * The shell that owns the broker's JVM. Node cannot ask Linux to kill a child when the parent dies,
 * so this small bash loop does it: it starts the JVM, and as soon as the Node process that started
 * it is gone (a crashed or Ctrl-C'd test run, a SIGKILL) or it is asked to stop, it stops the JVM —
 * SIGTERM, then SIGKILL after a deadline — and removes the broker's data directory. Nothing outlives
 * the run that started it.
 *
 * Arguments: $1 = pid to watch, $2 = directory to remove at the end (empty: keep it), $3… = the JVM command line.
 */
export const WATCHDOG_SCRIPT = `
parent="$1"; dir="$2"; shift 2
"$@" &
jvm=$!
finish() {
  trap '' TERM INT HUP
  kill -TERM "$jvm" 2>/dev/null
  for _ in $(seq 1 150); do kill -0 "$jvm" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$jvm" 2>/dev/null
  wait "$jvm" 2>/dev/null
  [ -n "$dir" ] && rm -rf "$dir"
  exit 0
}
trap finish TERM INT HUP
while kill -0 "$parent" 2>/dev/null && kill -0 "$jvm" 2>/dev/null; do
  sleep 0.5 & wait $!
done
finish
`
