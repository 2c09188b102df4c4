// The Kafka broker's process, for its CPU time per callback: the broker shares the machine's cores with
// the subject under test (the references without Kafka pay nothing of it). Found from its listening
// port through /proc (Linux); undefined for a broker elsewhere or where /proc says nothing.
import { readdir, readFile, readlink } from 'node:fs/promises'

/** The pid of the process listening on this machine's `port` (TCP, IPv4 or IPv6), or undefined. */
export async function listenerPid(port: number): Promise<number | undefined> {
  const inodes = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '')
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st … inode: the local port in hex after the colon, 0A = LISTEN.
      const fields = line.trim().split(/\s+/)
      const local = fields[1]
      if (local === undefined || fields[3] !== '0A') continue
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(fields[9] ?? '')
    }
  }
  if (inodes.size === 0) return undefined
  const wanted = new Set([...inodes].map((inode) => `socket:[${inode}]`))
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue
    const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[])
    for (const fd of fds) {
      const target = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => '')
      if (wanted.has(target)) return Number(entry)
    }
  }
  return undefined
}

/** The local broker's pid: the first broker's, when it listens on this machine. */
export async function localBrokerPid(brokers: readonly string[]): Promise<number | undefined> {
  const first = brokers[0]
  if (first === undefined) return undefined
  const at = first.lastIndexOf(':')
  const host = first.slice(0, at)
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) return undefined
  return listenerPid(Number(first.slice(at + 1)))
}
