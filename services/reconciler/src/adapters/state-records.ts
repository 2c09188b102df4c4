import { randomUUID } from 'node:crypto'
import { appKey } from '@mixguard/contracts'
import type { StoredApp } from '../shell-ports.ts'

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

const chunkKey = (appId: number, version: string, n: number) => `${appKey(appId)}/${version}/${n}`

/** The records that store `app`; `previous` is its current chunked version, if any (to tombstone). */
export function encodeApp<S>(
  app: StoredApp<S>,
  chunkBytes: number,
  previous: ChunkedVersion | undefined,
): { records: ChangelogRecord[]; chunked: ChunkedVersion | undefined } {
  const encoded = Buffer.from(JSON.stringify({ v: 1, ...app }))
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

/** Where a restore's time went, in this process's thread (the fetch and its gunzip are around it). */
export interface RestorePhases {
  /** Value bytes read (the chunks of superseded versions included), uncompressed. */
  bytes: number
  /** JSON.parse of the records. */
  jsonMs: number
  /** The states made from the parsed JSON (`parse`: the check and the build of each state). */
  stateMs: number
}

/** Rebuilds the apps of one changelog partition from its records, read in offset order. */
export class ChangelogReader<S> {
  readonly #parse: (value: unknown) => S | null
  readonly #onSkipped: (reason: string, key: string | null) => void
  readonly #apps = new Map<number, StoredApp<S>>()
  readonly #manifests = new Map<number, Manifest>()
  readonly #chunks = new Map<string, Buffer>()
  readonly phases: RestorePhases = { bytes: 0, jsonMs: 0, stateMs: 0 }

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
    const json = parseJson(value)
    this.phases.jsonMs += performance.now() - began
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
    if (value === null) {
      // A tombstone for the app: its state is gone.
      this.#apps.delete(appId)
      this.#manifests.delete(appId)
      return
    }
    const json = this.#json(value)
    const manifest = json as Partial<Manifest> | undefined
    if (manifest?.v === 2 && typeof manifest.appId === 'number') {
      this.#apps.delete(manifest.appId)
      this.#manifests.set(manifest.appId, manifest as Manifest)
      return
    }
    const decoded = decodeApp(json, this.#parse)
    if (!decoded.ok) {
      this.#onSkipped(decoded.reason, key)
      return
    }
    this.#manifests.delete(decoded.app.appId)
    this.#apps.set(decoded.app.appId, decoded.app)
  }

  /** The apps, and the chunked version each chunked app is stored under. */
  finish(): { apps: Map<number, StoredApp<S>>; chunked: Map<number, ChunkedVersion> } {
    const chunked = new Map<number, ChunkedVersion>()
    for (const [appId, m] of this.#manifests) {
      const parts = Array.from({ length: m.chunks }, (_, n) =>
        this.#chunks.get(chunkKey(appId, m.version, n)),
      )
      if (parts.some((p) => p === undefined)) {
        this.#onSkipped(`a chunk of version ${m.version} is missing`, appKey(appId))
        continue
      }
      const decoded = decodeApp(this.#json(Buffer.concat(parts as Buffer[])), this.#parse)
      if (!decoded.ok) {
        this.#onSkipped(decoded.reason, appKey(appId))
        continue
      }
      this.#apps.set(appId, decoded.app)
      chunked.set(appId, { version: m.version, chunks: m.chunks })
    }
    return { apps: this.#apps, chunked }
  }
}

function parseJson(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8'))
  } catch {
    return undefined
  }
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
