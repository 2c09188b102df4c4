import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { expect, onTestFinished, test } from 'vitest'
import { waitFor } from '../../../test/wait-for.ts'
import { createIdempotentProducer, createKafka, ensureTopics } from './client.ts'
import { startLocalBroker } from './local-broker.ts'
import { run } from './runtime.ts'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function jvmOf(watchdogPid: number): Promise<number> {
  const children = (await run('pgrep', ['-P', String(watchdogPid), '-x', 'java']))
    .trim()
    .split('\n')
    .map(Number)
  expect(children).toHaveLength(1)
  return children[0] as number
}

test('stop() ends the JVM and removes the data dir', async () => {
  const broker = await startLocalBroker({ env: process.env })
  const jvm = await jvmOf(broker.pid)
  expect(alive(jvm)).toBe(true)
  expect(existsSync(broker.dataDir)).toBe(true)

  await broker.stop()

  expect(alive(broker.pid)).toBe(false)
  await waitFor('the JVM to be reaped', () => !alive(jvm))
  expect(existsSync(broker.dataDir)).toBe(false)
  await broker.stop() // twice is harmless
})

test('a SIGKILLed owner takes its JVM and data dir with it', async () => {
  const owner = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { startLocalBroker } from '@mixguard/kafka/local'
       const b = await startLocalBroker({ env: process.env })
       console.log(JSON.stringify({ pid: b.pid, dataDir: b.dataDir }))
       setInterval(() => {}, 1000)`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  onTestFinished(() => {
    owner.kill('SIGKILL')
  })
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: owner.stdout }).once('line', resolve)
    owner.once('exit', (code) => reject(new Error(`owner exited with ${code} before starting a broker`)))
  })
  const { pid, dataDir } = JSON.parse(firstLine) as { pid: number; dataDir: string }
  const jvm = await jvmOf(pid)
  expect(existsSync(dataDir)).toBe(true)

  owner.kill('SIGKILL')

  await waitFor('the JVM to exit after its owner died', () => !alive(jvm))
  await waitFor('the watchdog to exit', () => !alive(pid))
  expect(existsSync(dataDir)).toBe(false)
})

test('a broker restarted on its own data dir and ports still has its records', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mixguard-restart-'))
  onTestFinished(() => rm(dataDir, { recursive: true, force: true }))
  const first = await startLocalBroker({ env: process.env, dataDir })
  onTestFinished(() => first.stop())
  const [host, port] = (first.brokers[0] as string).split(':')
  const kafka = createKafka({ brokers: first.brokers, clientId: 'restart-test', retry: { retries: 30 } })
  await ensureTopics(kafka, [{ name: 'kept', partitions: 1 }])
  const producer = createIdempotentProducer(kafka)
  await producer.connect()
  await producer.send({ topic: 'kept', acks: -1, messages: [{ value: 'before the outage' }] })
  await producer.disconnect()

  await first.stop()
  expect(existsSync(dataDir)).toBe(true)
  const controllerPort = Number(
    (await readFile(join(dataDir, 'server.properties'), 'utf8')).match(/CONTROLLER:\/\/[^:]+:(\d+)/)?.[1],
  )
  const second = await startLocalBroker({ env: process.env, dataDir, port: Number(port), controllerPort })
  onTestFinished(() => second.stop())
  expect(second.brokers).toEqual([`${host}:${port}`])

  const consumer = kafka.consumer({ groupId: 'restart-test', maxWaitTimeInMs: 100 })
  await consumer.connect()
  onTestFinished(() => consumer.disconnect())
  await consumer.subscribe({ topic: 'kept', fromBeginning: true })
  const value = await new Promise<string>((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }).catch(reject)
  })
  expect(value).toBe('before the outage')
})
