import { randomUUID } from 'node:crypto'
import { appKey } from '@mixguard/contracts'
import { runInSlices } from '@mixguard/time'
import type { StoredApp } from '../shell-ports.ts'
import { jsonSteps } from './json-steps.ts'
import { compressState, decompressState, isCompressedState } from './state-compression.ts'
import { parseStateJson } from './state-json.ts'

/**
 * How an app's state is laid out on the changelog. A state that fits in `chunkBytes` is one record
 * under the app's key (`{ v: 1, appId, appliedOffset, state }`). A larger one is cut into chunk
 * records keyed `<appId>/<version>/<n>`, followed by a manifest under the app's key
 * (`{ v: 2, appId, version, chunks, bytes }`) that names them; the previous version's chunks are
 * tombstoned after it. So the app's key always names a complete state:
 * - chunks come before their manifest in one partition, so a manifest is never read without them,
 *   and a crash between the two leaves the previous manifest, whose chunks are still there;
 * - compaction keeps the latest record of every key, so it never removes a live manifest's chunks
 *   (a new version has new keys), and the tombstones let it remove the old ones.
 * The state's bytes (the one record's value, or the chunks' concatenation) are its JSON, or that JSON
 * compressed by the store (state-compression.ts); a restore reads both, in any mix.
 */
export type ChangelogRecord = { key: string; value: Buffer | null }

export interface ChunkedVersion {
  version: string
  chunks: number
}

interface Manifest extends ChunkedVersion {
  v: 2
  appId: number
  bytes: number
}

/**
 * How long a save may hold the event loop at a time (runInSlices): a large app's state (20–30k live
 * streams) takes 100–400 ms to encode and write as JSON, which in one go would hold every deadline and
 * answer that came meanwhile. The state saved is never written (draft.ts): the same across the turns.
 */
export const SLICE_MS = 5

const chunkKey = (appId: number, version: string, n: number) => `${appKey(appId)}/${version}/${n}`

/**
 * The records that store `app`; `previous` is its current chunked version, if any (to tombstone).
 * `compress`: the JSON is compressed (in the threadpool) before it is chunked.
 */
export async function encodeApp<S>(
  app: StoredApp<S>,
  chunkBytes: number,
  previous: ChunkedVersion | undefined,
  compress: boolean,
): Promise<{ records: ChangelogRecord[]; chunked: ChunkedVersion | undefined }> {
  const json = Buffer.from(await runInSlices(jsonSteps({ v: 1, ...app }), SLICE_MS))
  const encoded = compress ? await compressState(json) : json
  const records: ChangelogRecord[] = []
  let chunked: ChunkedVersion | undefined
  if (encoded.length <= chunkBytes) {
    records.push({ key: appKey(app.appId), value: encoded })
  } else {
    chunked = { version: randomUUID().slice(0, 8), chunks: Math.ceil(encoded.length / chunkBytes) }
    for (let n = 0; n < chunked.chunks; n++)
      records.push({
        key: chunkKey(app.appId, chunked.version, n),
        value: encoded.subarray(n * chunkBytes, (n + 1) * chunkBytes),
      })
    const manifest: Manifest = { v: 2, appId: app.appId, ...chunked, bytes: encoded.length }
    records.push({ key: appKey(app.appId), value: Buffer.from(JSON.stringify(manifest)) })
  }
  if (previous)
    for (let n = 0; n < previous.chunks; n++)
      records.push({ key: chunkKey(app.appId, previous.version, n), value: null })
  return { records, chunked }
}

/** Where a restore's time went, in this process's thread (the fetch and its decompression are around it). */
export interface RestorePhases {
  /** Value bytes read as stored (the chunks of superseded versions included). */
  bytes: number
  /** JSON bytes parsed (what the compressed states among them decompressed to). */
  jsonBytes: number
  /** JSON.parse of the records (state-json.ts). */
  jsonMs: number
  /** The states made from the parsed JSON (`parse`: the check and the build of each state). */
  stateMs: number
}

/** A state's JSON, or why there is none (a compressed value that does not decompress). */
type Inflated = { ok: true; json: Buffer } | { ok: false; reason: string }

/**
 * Rebuilds the apps of one changelog partition from its records, read in offset order. A compressed
 * value starts decompressing (in the threadpool, several at once) as soon as it is added, while the
 * records before it are parsed and built; each record is applied in its turn. A record whose app has a
 * newer record added by then is not parsed unless the newer ones turn out unusable (an uncompacted
 * tail of versions costs no parse, as chunked versions never did).
 */
export class ChangelogReader<S> {
  readonly #parse: (value: unknown) => S | null
  readonly #onSkipped: (reason: string, key: string | null) => void
  readonly #apps = new Map<number, StoredApp<S>>()
  readonly #manifests = new Map<number, Manifest>()
  readonly #chunks = new Map<string, Buffer>()
  /** The records added so far, applied in order. */
  #applied: Promise<void> = Promise.resolve()
  /** Per app: how many of its records were added so far. */
  readonly #added = new Map<number, number>()
  /** Per app: its records a newer one superseded before their turn (in offset order), kept as fallbacks. */
  readonly #superseded = new Map<number, Inflated[]>()
  readonly phases: RestorePhases = { bytes: 0, jsonBytes: 0, jsonMs: 0, stateMs: 0 }

  constructor(parse: (value: unknown) => S | null, onSkipped: (reason: string, key: string | null) => void) {
    this.#parse = (value) => {
      const began = performance.now()
      try {
        return parse(value)
      } finally {
        this.phases.stateMs += performance.now() - began
      }
    }
    this.#onSkipped = onSkipped
  }

  #json(value: Buffer): unknown {
    const began = performance.now()
    const json = parseStateJson(value)
    this.phases.jsonMs += performance.now() - began
    this.phases.jsonBytes += value.length
    return json
  }

  add(keyBytes: Buffer | null, value: Buffer | null): void {
    const key = keyBytes?.toString('utf8') ?? null
    this.phases.bytes += value?.length ?? 0
    if (key?.includes('/')) {
      if (value === null) this.#chunks.delete(key)
      else this.#chunks.set(key, value)
      return
    }
    const appId = Number(key)
    const nth = (this.#added.get(appId) ?? 0) + 1
    this.#added.set(appId, nth)
    const inflated = value === null ? null : inflate(value)
    this.#applied = this.#applied.then(async () => this.#apply(key, appId, nth, inflated && (await inflated)))
    // Handled here so that a failure waits for `applied()` or `finish()` to report it.
    this.#applied.catch(() => {})
  }

  #apply(key: string | null, appId: number, nth: number, inflated: Inflated | null): void {
    if (inflated === null) {
      // A tombstone for the app: its state is gone.
      this.#apps.delete(appId)
      this.#manifests.delete(appId)
      this.#superseded.delete(appId)
      return
    }
    if (nth < (this.#added.get(appId) ?? 0)) {
      // A newer record of the app is on its way: this one is parsed only should the newer be unusable.
      this.#superseded.set(appId, [...(this.#superseded.get(appId) ?? []), inflated])
      return
    }
    // The newest usable record wins (a bad one keeps the one before it); the refused are reported in
    // offset order.
    const candidates = [...(this.#superseded.get(appId) ?? []), inflated]
    this.#superseded.delete(appId)
    const refused: string[] = []
    for (let i = candidates.length - 1; i >= 0; i--) {
      const reason = this.#use(candidates[i] as Inflated)
      if (reason === undefined) break
      refused.push(reason)
    }
    for (const reason of refused.reverse()) this.#onSkipped(reason, key)
  }

  /** Applies one record of an app; returns why it cannot be used, if it cannot. */
  #use(inflated: Inflated): string | undefined {
    if (!inflated.ok) return inflated.reason
    const json = this.#json(inflated.json)
    const manifest = json as Partial<Manifest> | undefined
    if (manifest?.v === 2 && typeof manifest.appId === 'number') {
      this.#apps.delete(manifest.appId)
      this.#manifests.set(manifest.appId, manifest as Manifest)
      return undefined
    }
    const decoded = decodeApp(json, this.#parse)
    if (!decoded.ok) return decoded.reason
    this.#manifests.delete(decoded.app.appId)
    this.#apps.set(decoded.app.appId, decoded.app)
    return undefined
  }

  /** Settles once every record added so far is applied. */
  applied(): Promise<void> {
    return this.#applied
  }

  /** The apps, and the chunked version each chunked app is stored under. */
  async finish(): Promise<{ apps: Map<number, StoredApp<S>>; chunked: Map<number, ChunkedVersion> }> {
    await this.#applied
    const chunked = new Map<number, ChunkedVersion>()
    for (const [appId, m] of this.#manifests) {
      const parts = Array.from({ length: m.chunks }, (_, n) =>
        this.#chunks.get(chunkKey(appId, m.version, n)),
      )
      if (parts.some((p) => p === undefined)) {
        this.#onSkipped(`a chunk of version ${m.version} is missing`, appKey(appId))
        continue
      }
      const inflated = await inflate(Buffer.concat(parts as Buffer[]))
      const decoded = inflated.ok
        ? decodeApp(this.#json(inflated.json), this.#parse)
        : { ok: false as const, reason: inflated.reason }
      if (!decoded.ok) {
        this.#onSkipped(decoded.reason, appKey(appId))
        continue
      }
      this.#apps.set(appId, decoded.app)
      chunked.set(appId, { version: m.version, chunks: m.chunks })
    }
    this.#chunks.clear()
    return { apps: this.#apps, chunked }
  }
}

/** A stored state's JSON: the value itself, or what it decompresses to. Never rejects. */
function inflate(value: Buffer): Inflated | Promise<Inflated> {
  if (!isCompressedState(value)) return { ok: true, json: value }
  return decompressState(value).then(
    (json): Inflated => ({ ok: true, json }),
    (error: unknown): Inflated => ({
      ok: false,
      reason: `compressed state does not decompress (${(error as Error).message})`,
    }),
  )
}

function decodeApp<S>(
  json: unknown,
  parse: (value: unknown) => S | null,
): { ok: true; app: StoredApp<S> } | { ok: false; reason: string } {
  if (json === undefined) return { ok: false, reason: 'not JSON' }
  const envelope = json as Partial<StoredApp<unknown> & { v: number }>
  if (envelope.v !== 1 || typeof envelope.appId !== 'number')
    return { ok: false, reason: 'not a v1 state record' }
  const state = parse(envelope.state)
  if (state === null) return { ok: false, reason: 'state does not parse' }
  return { ok: true, app: { appId: envelope.appId, appliedOffset: envelope.appliedOffset ?? null, state } }
}
