import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { topicSpecs } from '@mixguard/contracts'
import { ENVIRONMENT_VARIABLES as ingestVariables, loadConfig as loadIngestConfig } from '@mixguard/ingest'
import { createTopicCommands } from '@mixguard/kafka'
import {
  loadConfig as loadReconcilerConfig,
  ENVIRONMENT_VARIABLES as reconcilerVariables,
} from '@mixguard/reconciler'
import { describe, expect, test } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'

// No Docker engine or cluster runs here: this test holds the Dockerfiles, docker-compose.yml and the
// kustomize base to the code instead (entry files, variables, ports, health paths, topic commands).

const read = (path: string) => readFileSync(path, 'utf8')
type Env = Record<string, string>

const services = {
  ingest: {
    dir: 'services/ingest',
    variables: ingestVariables,
    portVariable: 'INGEST_PORT',
    routes: read('services/ingest/src/app.ts'),
    load: (env: Env) => loadIngestConfig(env, { readFile: fakeFile }),
    port: (env: Env) => {
      const loaded = loadIngestConfig(env, { readFile: fakeFile })
      return loaded.ok ? loaded.config.port : Number.NaN
    },
  },
  reconciler: {
    dir: 'services/reconciler',
    variables: reconcilerVariables,
    portVariable: 'RECONCILER_PORT',
    routes: read('services/reconciler/src/http.ts'),
    load: (env: Env) => loadReconcilerConfig(env, fakeFile),
    port: (env: Env) => {
      const loaded = loadReconcilerConfig(env, fakeFile)
      return loaded.ok ? loaded.config.http.port : Number.NaN
    },
  },
} as const
type Service = keyof typeof services

/** Files named by *_FILE variables exist only in the container; any path reads as a placeholder. */
function fakeFile(): string {
  return 'placeholder'
}

const minimalEnv: Record<Service, Env> = {
  ingest: { KAFKA_BROKERS: 'k:9092', ZEGO_APP_ID: '1', ZEGO_CALLBACK_SECRET: 's' },
  reconciler: { KAFKA_BROKERS: 'k:9092' },
}

/** Runtime variables that are Node's, not Mixguard's. */
const NODE_VARIABLES = new Set(['NODE_ENV', 'NODE_OPTIONS'])

/**
 * Both services need each app's ServerSecret: the reconciler to call StopMix (else it warns), ingest's
 * passthrough to verify, and so record, the mix calls.
 */
function expectEveryServerSecret(loaded: ReturnType<(typeof services)[Service]['load']>): void {
  if (!loaded.ok) return
  if ('warnings' in loaded) expect(loaded.warnings).toEqual([])
  else
    for (const id of loaded.config.apps.ids()) expect(loaded.config.apps.get(id)?.serverSecret).not.toBeNull()
}

function serves(service: Service, path: string): boolean {
  return services[service].routes.includes(`app.get('${path}'`)
}

/** The source file tsc compiles to `entry` (outDir dist, rootDir src: see tsconfig.build.json). */
function sourceOf(packageDir: string, entry: string): string {
  const build = JSON.parse(read(join(packageDir, 'tsconfig.build.json'))) as {
    compilerOptions: { rootDir: string; outDir: string }
  }
  const { rootDir, outDir } = build.compilerOptions
  expect(entry.startsWith(`${outDir}/`), `${entry} is under ${outDir}/`).toBe(true)
  return join(packageDir, rootDir, entry.slice(outDir.length + 1).replace(/\.js$/, '.ts'))
}

interface Dockerfile {
  stages: string[]
  env: Env
  expose: number[]
  healthcheck: string
  entry: string[]
  text: string
}

function parseDockerfile(path: string): Dockerfile {
  const text = read(path).replace(/\\\n/g, ' ')
  const lines = text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'))
  const out: Dockerfile = { stages: [], env: {}, expose: [], healthcheck: '', entry: [], text }
  for (const line of lines) {
    const [instruction = '', ...rest] = line.trim().split(/\s+/)
    const args = rest.join(' ')
    if (instruction === 'FROM') out.stages.push(args)
    if (instruction === 'ENV') {
      const [name, value] = args.split('=')
      out.env[name as string] = value ?? ''
    }
    if (instruction === 'EXPOSE') out.expose.push(Number(args))
    if (instruction === 'HEALTHCHECK') out.healthcheck = args
    if (instruction === 'CMD' || instruction === 'ENTRYPOINT')
      out.entry.push(...(JSON.parse(args) as string[]))
  }
  return out
}

describe('Dockerfiles', () => {
  for (const service of Object.keys(services) as Service[]) {
    const { dir, variables, portVariable } = services[service]
    test(`${service}: multi-stage, slim Node 24, non-root, prod deploy, entry and health match the code`, () => {
      const docker = parseDockerfile(join(dir, 'Dockerfile'))
      expect(docker.stages).toHaveLength(2)
      for (const stage of docker.stages) expect(stage).toMatch(/^node:24-[a-z]+-slim\b/)
      expect(docker.text).toMatch(/^USER node$/m)
      expect(docker.text).toContain(`--filter @mixguard/${service} deploy --prod`)
      const pkg = JSON.parse(read(join(dir, 'package.json'))) as { name: string; files: string[] }
      expect(pkg.name).toBe(`@mixguard/${service}`)
      expect(pkg.files).toEqual(['dist'])
      // The entry file is what `pnpm build` makes of the service's main.ts.
      expect(docker.entry[0]).toBe('node')
      expect(existsSync(sourceOf(dir, docker.entry[1] as string))).toBe(true)
      expect(sourceOf(dir, docker.entry[1] as string)).toBe(join(dir, 'src/main.ts'))
      // Every file the build stage copies exists.
      for (const match of docker.text.matchAll(/^COPY (?!--from)(.+) \S+$/gm))
        for (const source of (match[1] as string).split(/\s+/)) expect(existsSync(source), source).toBe(true)
      for (const name of Object.keys(docker.env))
        if (!NODE_VARIABLES.has(name)) expect(variables).toContain(name)
      const port = services[service].port({ ...minimalEnv[service], ...docker.env })
      expect(docker.expose).toEqual([port])
      expect(docker.healthcheck).toContain(`process.env.${portVariable} || ${port}`)
      expect(docker.healthcheck).toContain("'/healthz'")
      expect(serves(service, '/healthz')).toBe(true)
    })
  }

  test('zego-sim (demo only): its entry is the built cli', () => {
    const docker = parseDockerfile('packages/zego-sim/Dockerfile')
    expect(docker.entry.slice(0, 2)).toEqual(['node', 'dist/cli.js'])
    expect(existsSync(sourceOf('packages/zego-sim', 'dist/cli.js'))).toBe(true)
    expect(docker.text).toMatch(/^USER node$/m)
  })
})

/** Compose's `${VAR:-default}` as compose resolves it with nothing set. */
function withDefaults(value: unknown): string {
  return String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, Record<string, unknown>>
  }
  const environment = (name: string): Env =>
    Object.fromEntries(
      Object.entries((compose.services[name]?.environment ?? {}) as Record<string, unknown>).map(([k, v]) => [
        k,
        withDefaults(v),
      ]),
    )

  for (const service of Object.keys(services) as Service[]) {
    test(`${service}: built from its Dockerfile, every variable known, port and spool as configured`, () => {
      const spec = compose.services[service] as {
        build: { dockerfile: string }
        ports: string[]
        volumes?: string[]
      }
      expect(spec.build.dockerfile).toBe(`${services[service].dir}/Dockerfile`)
      const env = environment(service)
      for (const name of Object.keys(env)) expect(services[service].variables).toContain(name)
      const loaded = services[service].load(env)
      expect(loaded.ok, loaded.ok ? '' : loaded.message).toBe(true)
      expectEveryServerSecret(loaded)
      const port = services[service].port(env)
      expect(spec.ports.map((p) => withDefaults(p).split(':')[1])).toEqual([String(port)])
      expect(parseDockerfile(spec.build.dockerfile).expose).toEqual([port])
      if (service === 'ingest') expect(spec.volumes?.[0]?.split(':')[1]).toBe(env.INGEST_SPOOL_DIR)
    })
  }

  test('kafka-init creates exactly the topics the services check, as they would print the commands', () => {
    const env = environment('reconciler')
    const init = compose.services['kafka-init'] as { command: string[] }
    const lines = (init.command[0] as string).trim().split('\n')
    const expected = createTopicCommands(
      topicSpecs(env.TOPIC_PREFIX, { replicationFactor: 1 }),
      [env.KAFKA_BROKERS as string],
      false,
    ).map((c) => `/opt/kafka/bin/${c}`)
    expect(lines).toEqual(expected)
    expect(env.KAFKA_CREATE_TOPICS).toBe('false')
  })

  test('the demo profile wires zego-sim as ./mixguard start does: callbacks to ingest, API calls to the sim', () => {
    const sim = compose.services['zego-sim'] as { profiles: string[]; command: string[]; ports: string[] }
    expect(sim.profiles).toEqual(['demo'])
    const ingest = environment('ingest')
    const ingestConfig = loadIngestConfig(ingest)
    if (!ingestConfig.ok) throw new Error(ingestConfig.message)
    const app = withDefaults(sim.command[sim.command.indexOf('--app') + 1]).split(':')
    const reconciler = environment('reconciler')
    expect(reconciler.ZEGO_APP_ID).toBe(ingest.ZEGO_APP_ID)
    expect(reconciler.ZEGO_SERVER_SECRET).toBe(ingest.ZEGO_SERVER_SECRET)
    expect(app.slice(0, 3)).toEqual([
      ingest.ZEGO_APP_ID,
      ingest.ZEGO_SERVER_SECRET,
      ingest.ZEGO_CALLBACK_SECRET,
    ])
    expect(app.slice(3).join(':')).toBe(
      `http://ingest:${ingestConfig.config.port}${ingestConfig.config.callbackPath}`,
    )
    const simPort = sim.command[sim.command.indexOf('--port') + 1]
    for (const name of ['ingest', 'reconciler'] as const)
      expect(environment(name).ZEGO_API_BASE_URL).toBe(`http://zego-sim:${simPort}/`)
  })
})

describe('kustomize base (deploy/base)', () => {
  const base = 'deploy/base'
  const kustomization = parse(read(join(base, 'kustomization.yaml'))) as { resources: string[] }
  // biome-ignore lint/suspicious/noExplicitAny: a manifest is arbitrary YAML; the assertions below check each field they read
  type Doc = { kind: string; metadata: { name: string }; spec?: any; data?: Env; stringData?: Env }
  const docs: Doc[] = kustomization.resources.flatMap((file) =>
    parseAllDocuments(read(join(base, file))).map((d) => d.toJS() as Doc),
  )
  const configMap = docs.find((d) => d.kind === 'ConfigMap')?.data ?? {}
  const secret = docs.find((d) => d.kind === 'Secret')?.stringData ?? {}
  const workloads = {
    ingest: docs.find((d) => d.kind === 'StatefulSet' && d.metadata.name === 'mixguard-ingest'),
    reconciler: docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'mixguard-reconciler'),
  }

  test('every ConfigMap variable is read by a service', () => {
    for (const name of Object.keys(configMap))
      expect([...ingestVariables, ...reconcilerVariables], name).toContain(name)
  })

  for (const service of Object.keys(services) as Service[]) {
    test(`${service}: variables known, config valid, port, probes, resources and mounts match`, () => {
      const workload = workloads[service]
      expect(workload).toBeDefined()
      const pod = workload?.spec.template
      const container = pod.spec.containers[0]
      expect(pod.metadata.labels).toEqual(workload?.spec.selector.matchLabels)
      const env: Env = { ...configMap }
      for (const e of container.env as Array<{
        name: string
        value?: string
        valueFrom?: { secretKeyRef: { key: string } }
      }>) {
        expect(services[service].variables).toContain(e.name)
        const value = e.value ?? secret[e.valueFrom?.secretKeyRef.key ?? '']
        expect(value, `${e.name} has a value, or one from the Secret`).toBeDefined()
        env[e.name] = value as string
      }
      const loaded = services[service].load(env)
      expect(loaded.ok, loaded.ok ? '' : loaded.message).toBe(true)
      // The reconciler has its app's ServerSecret: no "watched but never stopped" warning.
      expectEveryServerSecret(loaded)
      expect(container.ports[0].containerPort).toBe(services[service].port(env))
      for (const probe of [container.livenessProbe, container.readinessProbe]) {
        expect(probe.httpGet.port).toBe(container.ports[0].name)
        expect(serves(service, probe.httpGet.path), probe.httpGet.path).toBe(true)
      }
      expect(container.resources.requests.cpu).toBeDefined()
      expect(container.resources.requests.memory).toBeDefined()
      // Files the *_FILE variables name are mounted from the Secret.
      const mounts = container.volumeMounts as Array<{ name: string; mountPath: string }>
      const files = Object.keys(env).filter((name) => name.endsWith('_FILE'))
      expect(files).toEqual(expect.arrayContaining(['KAFKA_SASL_PASSWORD_FILE', 'KAFKA_SSL_CA_FILE']))
      for (const name of files) {
        const path = env[name] as string
        const mount = mounts.find((m) => m.mountPath === dirname(path))
        expect(mount, `${name} is mounted`).toBeDefined()
        const volume = pod.spec.volumes.find((v: { name: string }) => v.name === mount?.name)
        const item = volume.secret.items.find((i: { path: string }) => join(dirname(path), i.path) === path)
        expect(secret[item.key], `${name} comes from the Secret`).toBeDefined()
      }
      const budget = docs.find(
        (d) => d.kind === 'PodDisruptionBudget' && d.metadata.name === workload?.metadata.name,
      )
      expect(budget?.spec.selector.matchLabels).toEqual(pod.metadata.labels)
    })
  }

  test('ingest keeps one spool per replica on its own volume', () => {
    const spec = workloads.ingest?.spec
    const mount = spec.template.spec.containers[0].volumeMounts.find(
      (m: { name: string }) => m.name === 'spool',
    )
    expect(mount.mountPath).toBe(configMap.INGEST_SPOOL_DIR)
    expect(spec.volumeClaimTemplates.map((t: { metadata: { name: string } }) => t.metadata.name)).toEqual([
      'spool',
    ])
  })
})
