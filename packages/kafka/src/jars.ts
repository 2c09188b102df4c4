import { existsSync } from 'node:fs'
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { KafkaSetupError } from './errors.ts'
import { cacheDir, run } from './runtime.ts'

/** The Apache Kafka release the local broker runs; 4.x needs Java 17+. */
export const KAFKA_VERSION = '4.1.2'
/** kafka_2.13 logs through SLF4J 1.7 but ships no binding: without one the broker prints nothing. */
const SLF4J_SIMPLE_VERSION = '1.7.36'

function pom(version: string): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.mixguard</groupId>
  <artifactId>local-kafka</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>${SLF4J_SIMPLE_VERSION}</version></dependency>
  </dependencies>
</project>
`
}

/**
 * Makes sure the broker's jars are in the cache (outside git, keyed by version) and returns their folder.
 * The first call downloads them from Maven Central with `mvn`; later calls return at once.
 */
export async function ensureKafkaJars(env: NodeJS.ProcessEnv, version = KAFKA_VERSION): Promise<string> {
  const home = join(cacheDir(env), `kafka-${version}`)
  const libs = join(home, 'libs')
  if (existsSync(join(libs, '.complete'))) return libs

  await mkdir(home, { recursive: true })
  const pomFile = join(home, 'pom.xml')
  await writeFile(pomFile, pom(version))
  const staging = join(home, `libs.${process.pid}.tmp`)
  await rm(staging, { recursive: true, force: true })
  try {
    await run(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        pomFile,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${staging}`,
      ],
      { env },
    )
  } catch (error) {
    await rm(staging, { recursive: true, force: true })
    const output = (error as { output?: string }).output ?? ''
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    throw new KafkaSetupError(
      'KAFKA_JARS_FAILED',
      missing
        ? 'Maven (mvn) is not installed: it is needed once to fetch the Kafka jars. Install Maven, or set KAFKA_BROKERS to use an existing cluster.'
        : `mvn could not fetch org.apache.kafka:kafka_2.13:${version}:\n${output.trim().split('\n').slice(-15).join('\n')}`,
      { retryable: false, cause: error },
    )
  }
  const jars = (await readdir(staging)).filter((f) => f.endsWith('.jar'))
  if (!jars.some((f) => f.startsWith(`kafka_2.13-${version}`))) {
    throw new KafkaSetupError(
      'KAFKA_JARS_FAILED',
      `mvn finished but ${staging} holds no kafka_2.13-${version} jar`,
      { retryable: false },
    )
  }
  await writeFile(join(staging, '.complete'), `${jars.length} jars\n`)
  await rm(libs, { recursive: true, force: true })
  try {
    await rename(staging, libs)
  } catch (error) {
    // Another process finished the same download first: theirs is as good as ours.
    await rm(staging, { recursive: true, force: true })
    if (!existsSync(join(libs, '.complete'))) throw error
  }
  return libs
}
