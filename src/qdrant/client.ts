import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { TarEndCheck } from '../util/tar-end.js';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { Agent, request } from './undici-request.js';
import { ActionError } from '../core/errors.js';
import { advice, say, setting, type Message } from '../core/wording.js';
import { bufferReleaser } from '../util/release-buffers.js';
import { tap } from '../util/tap.js';
import { QdrantError, hintFor, isConnectionError, isRetryableCode, networkCode } from './errors.js';
import { postMultipartFile } from './multipart-upload.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.js';
import { retryAnnouncer } from './retry-notice.js';
import type {
  AliasDescription,
  AliasOperation,
  ClusterStatus,
  CollectionClusterInfo,
  CollectionInfo,
  CreateCollection,
  CreateShardingKey,
  PayloadFieldSchema,
  ShardKey,
  ShardKeysResponse,
  CollectionsAliasesResponse,
  CollectionsResponse,
  CountResult,
  PointId,
  PointRecord,
  ScrollPage,
  SnapshotDescription,
  SnapshotPriority,
  VersionInfo,
} from './types.js';

/** Snapshot work in progress or done on one collection, from the server's telemetry. */
export interface SnapshotActivity {
  running: number;
  recovering: number;
}

interface Telemetry {
  collections?: {
    snapshots?: {
      id: string;
      running_snapshots?: number | null;
      running_snapshot_recovery?: number | null;
    }[];
  };
}

/** Node's codes for a certificate it does not trust. */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Where an upload's copy is kept on the server: a collection's snapshots or a shard's. */
interface UploadPlace {
  collection: string;
  list: () => Promise<SnapshotDescription[]>;
  remove: (name: string) => Promise<void>;
}

const SETTLE_POLL_MS = 500;
const SETTLE_GRACE_MS = 5_000;

/**
 * After this failure the server may have received the request and may still be carrying it out: the
 * connection broke after it was made, or a proxy answered for it.
 */
function mayHaveReachedServer(error: QdrantError): boolean {
  const { status, code } = error.details;
  if (status !== undefined) return status === 502 || status === 504 || status === 408;
  return !['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT'].includes(
    code ?? '',
  );
}

export interface ClientOptions {
  url: string;
  apiKey?: string;
  /** Deadline of one call (a whole snapshot creation, download or upload included), in ms. */
  timeoutMs: number;
  retry?: RetryPolicy;
  /** Told of each retry: the failure, and a note on when and which attempt follows. */
  onRetry?: (error: QdrantError, note: string) => void;
}

export interface DownloadResult {
  /** Bytes and SHA-256 of the snapshot as the server sent it. */
  size: number;
  sha256: string;
  /** Bytes and SHA-256 of the file written to disk (differ from the above when `transform` encrypts). */
  storedSize: number;
  storedSha256: string;
}

export interface DownloadOptions {
  /** The checksum the server advertised: the file is only renamed into place when it matches. */
  expectedSha256?: string;
  /** Applied between the wire and the disk (encryption); called afresh on every attempt. */
  transform?: (source: AsyncIterable<Buffer>) => AsyncIterable<Uint8Array>;
  onProgress?: (bytes: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

/** The server sent bytes whose SHA-256 is not the checksum it advertised. */
export class ChecksumMismatchError extends ActionError {
  constructor(
    readonly expected: string,
    readonly actual: string,
    where: string,
  ) {
    super(
      `SHA-256 mismatch for ${where}: the server advertised ${expected}, the bytes received hash to ${actual}.`,
    );
  }
}

interface CallOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** A body already serialised as JSON (point ids above 2^53 cannot go through JSON.stringify). */
  json?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Envelope<T> {
  result: T;
  status: string;
  time?: number;
}

/** The file name an upload is sent under; Qdrant keeps the upload among the snapshots under this name. */
export function uploadedSnapshotName(collection: string): string {
  return `${collection}-qdrant-snapshot-action-upload.snapshot`;
}

/** The file name a shard snapshot upload is sent under. */
export function uploadedShardSnapshotName(collection: string, shard: number): string {
  return `${collection}-shard-${shard}-qdrant-snapshot-action-upload.snapshot`;
}

const path = (strings: TemplateStringsArray, ...names: string[]): string =>
  strings.reduce((out, part, i) => out + part + (i < names.length ? encodeURIComponent(names[i]!) : ''), '');

/** Typed REST client for the parts of Qdrant's API a backup and a restore need. */
export class QdrantClient {
  readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly agent: Agent;
  /** For uploads, which go through node:http(s) (see uploadSnapshot); made on first use. */
  private uploadAgent?: HttpAgent;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: ClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.headers = options.apiKey ? { 'api-key': options.apiKey } : {};
    // No undici header/body timeouts (300 s by default): creating a large snapshot can take many minutes.
    // Each call has its own deadline instead.
    this.agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, connections: 16 });
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  async close(): Promise<void> {
    this.uploadAgent?.destroy();
    await this.agent.close();
  }

  // --- Server --------------------------------------------------------------------------------------

  /** `GET /`: the server's version. Fails clearly when the URL does not answer as Qdrant does. */
  async version(): Promise<VersionInfo> {
    const info = await this.retried(() => this.send<VersionInfo>('GET', '/', { raw: true }));
    if (typeof info !== 'object' || info === null || typeof info.version !== 'string') {
      throw this.notQdrant('GET', '/', 'its answer has no version field');
    }
    return info;
  }

  // --- Collections ---------------------------------------------------------------------------------

  async listCollections(): Promise<string[]> {
    const result = await this.get<CollectionsResponse>('/collections');
    return result.collections.map((collection) => collection.name).sort();
  }

  async collectionInfo(collection: string): Promise<CollectionInfo> {
    return this.get<CollectionInfo>(path`/collections/${collection}`);
  }

  /**
   * Exact point count; `points_count` in collection info is only approximate. With `shardKey`, the points
   * of that shard key only (custom sharding).
   */
  async exactCount(collection: string, options: { shardKey?: ShardKey } = {}): Promise<number> {
    const body =
      options.shardKey === undefined ? { exact: true } : { exact: true, shard_key: options.shardKey };
    const result = await this.retried(() =>
      this.send<CountResult>('POST', path`/collections/${collection}/points/count`, { body }),
    );
    return result.count;
  }

  /** `PUT /collections/{c}`: creates a collection (fails when it exists). */
  async createCollection(collection: string, config: CreateCollection): Promise<void> {
    await this.retried(() => this.send<boolean>('PUT', path`/collections/${collection}`, { body: config }));
  }

  /** `DELETE /collections/{c}`: deletes a collection and its aliases (only where the user asked for it). */
  async deleteCollection(collection: string): Promise<void> {
    await this.retried(() => this.send<boolean>('DELETE', path`/collections/${collection}`));
  }

  /** `PUT /collections/{c}/index?wait=true`: creates a payload index. */
  async createPayloadIndex(collection: string, field: string, schema: PayloadFieldSchema): Promise<void> {
    await this.retried(() =>
      this.send<unknown>('PUT', path`/collections/${collection}/index`, {
        query: { wait: 'true' },
        body: { field_name: field, field_schema: schema },
      }),
    );
  }

  // --- Cluster -------------------------------------------------------------------------------------

  /** `GET /cluster`: distributed mode on or off, this peer's id, the peers and their p2p URIs. */
  async clusterInfo(): Promise<ClusterStatus> {
    return this.get<ClusterStatus>('/cluster');
  }

  /**
   * `GET /collections/{c}/cluster`: the shards this node holds (with an estimated, not exact, point count:
   * Qdrant counts them with `exact: false`, collection_ops.rs `cluster_info`) and every replica elsewhere.
   */
  async collectionClusterInfo(collection: string): Promise<CollectionClusterInfo> {
    return this.get<CollectionClusterInfo>(path`/collections/${collection}/cluster`);
  }

  /** `GET /collections/{c}/shards`: the shard keys (custom sharding); [] for auto sharding. */
  async listShardKeys(collection: string): Promise<ShardKey[]> {
    const result = await this.get<ShardKeysResponse>(path`/collections/${collection}/shards`);
    return (result.shard_keys ?? []).map((description) => description.key);
  }

  /**
   * `PUT /collections/{c}/shards`: creates a shard key. Needs distributed mode: a plain node refuses
   * (1.18: 400 "Distributed mode disabled"; 1.19: 405 "Qdrant is running in standalone mode").
   */
  async createShardKey(collection: string, request: CreateShardingKey): Promise<void> {
    await this.retried(() =>
      this.send<boolean>('PUT', path`/collections/${collection}/shards`, { body: request }),
    );
  }

  // --- Aliases -------------------------------------------------------------------------------------

  async aliases(): Promise<AliasDescription[]> {
    const result = await this.get<CollectionsAliasesResponse>('/aliases');
    return result.aliases;
  }

  async updateAliases(actions: AliasOperation[]): Promise<void> {
    await this.retried(() => this.send<boolean>('POST', '/collections/aliases', { body: { actions } }));
  }

  // --- Snapshots -----------------------------------------------------------------------------------

  async listSnapshots(collection: string): Promise<SnapshotDescription[]> {
    return this.get<SnapshotDescription[]>(path`/collections/${collection}/snapshots`);
  }

  async deleteSnapshot(collection: string, snapshot: string): Promise<void> {
    await this.retried(() =>
      this.send<boolean>('DELETE', path`/collections/${collection}/snapshots/${snapshot}`, {
        query: { wait: 'true' },
      }),
    );
  }

  /**
   * Creates a snapshot and waits for it. Qdrant goes on creating a snapshot after the client is gone and
   * lists it only once complete, so after a failure that may have reached the server (a dropped connection,
   * a proxy's 502/504) the next attempt first waits for that creation and adopts its snapshot instead of
   * starting a second one. Nothing made by anyone else is ever deleted.
   */
  async createSnapshot(collection: string, signal?: AbortSignal): Promise<SnapshotDescription> {
    return this.createSnapshotAt(path`/collections/${collection}/snapshots`, collection, {
      list: () => this.listSnapshots(collection),
      signal,
    });
  }

  private async createSnapshotAt(
    route: string,
    collection: string,
    at: { list: () => Promise<SnapshotDescription[]>; signal?: AbortSignal },
  ): Promise<SnapshotDescription> {
    const before = new Set((await at.list()).map((s) => s.name));
    let lastError: QdrantError | undefined;
    return this.retried(async () => {
      if (lastError && mayHaveReachedServer(lastError)) {
        const adopted = await this.settleCreation(collection, before, at);
        if (adopted) return adopted;
      }
      try {
        return await this.send<SnapshotDescription>('POST', route, {
          query: { wait: 'true' },
          signal: at.signal,
        });
      } catch (error) {
        if (error instanceof QdrantError) lastError = error;
        throw error;
      }
    });
  }

  /**
   * What the server is doing with a collection's snapshots, read from its telemetry; undefined where the
   * telemetry cannot be read (a key without global read access, a proxy that hides it).
   */
  async snapshotActivity(collection: string): Promise<SnapshotActivity | undefined> {
    try {
      const telemetry = await this.send<Telemetry>('GET', '/telemetry', {
        query: { details_level: '2' },
        timeoutMs: 30_000,
      });
      const entry = telemetry.collections?.snapshots?.find((s) => s.id === collection);
      return {
        running: entry?.running_snapshots ?? 0,
        recovering: entry?.running_snapshot_recovery ?? 0,
      };
    } catch {
      return undefined;
    }
  }

  /**
   * Waits for a creation that an earlier attempt may have started; its snapshot, or undefined if none.
   * Telemetry is read only here, after a failure: on a server with many collections it is large.
   */
  private async settleCreation(
    collection: string,
    before: Set<string>,
    at: { list: () => Promise<SnapshotDescription[]>; signal?: AbortSignal },
  ): Promise<SnapshotDescription | undefined> {
    const started = Date.now();
    for (;;) {
      const fresh = (await at.list())
        .filter((s) => !before.has(s.name))
        .sort((a, b) => String(b.creation_time).localeCompare(String(a.creation_time)));
      if (fresh[0]) return fresh[0];
      const activity = await this.snapshotActivity(collection);
      const waited = Date.now() - started;
      // A request still in flight has not started yet: it gets a short grace period, as does everything
      // when the telemetry cannot be read.
      const running = activity !== undefined && activity.running > 0;
      if (!running && waited > (activity ? SETTLE_POLL_MS * 2 : SETTLE_GRACE_MS)) return undefined;
      if (waited > this.options.timeoutMs) return undefined;
      await sleep(SETTLE_POLL_MS, undefined, { signal: at.signal });
    }
  }

  /**
   * Streams a snapshot into `destination`, hashing it in the same pass. The bytes land in a temporary
   * file that is renamed into place only when complete and, if `expectedSha256` is given, matching.
   */
  async downloadSnapshot(
    collection: string,
    snapshot: string,
    destination: string,
    options: DownloadOptions = {},
  ): Promise<DownloadResult> {
    const route = path`/collections/${collection}/snapshots/${snapshot}`;
    return this.downloadTo(route, destination, options, `snapshot ${snapshot} of ${collection}`);
  }

  /** The download machinery of every snapshot route: one pass to disk, hashed, renamed when complete. */
  private async downloadTo(
    route: string,
    destination: string,
    options: DownloadOptions,
    what: string,
    checkTarEnd = false,
  ): Promise<DownloadResult> {
    const partial = `${destination}.partial`;
    try {
      const result = await this.retried(() => this.downloadOnce(route, partial, options, checkTarEnd));
      if (options.expectedSha256 && options.expectedSha256 !== result.sha256) {
        throw new ChecksumMismatchError(options.expectedSha256, result.sha256, what);
      }
      await rename(partial, destination);
      return result;
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  private async downloadOnce(
    route: string,
    partial: string,
    options: DownloadOptions,
    checkTarEnd: boolean,
  ): Promise<DownloadResult> {
    const { response, fail } = await this.open('GET', route, { signal: options.signal });
    const { body, headers } = response;
    const total = Number(headers['content-length']) || undefined;
    const wire = createHash('sha256');
    const stored = createHash('sha256');
    let size = 0;
    let storedSize = 0;
    const tarEnd = checkTarEnd ? new TarEndCheck() : undefined;
    const release = bufferReleaser();
    const wireTap = tap((chunk) => {
      wire.update(chunk);
      tarEnd?.update(chunk);
      size += chunk.length;
      release(chunk.length);
      options.onProgress?.(size, total);
    });
    const storedTap = tap((chunk) => {
      stored.update(chunk);
      storedSize += chunk.length;
    });
    try {
      if (options.transform) {
        await pipeline(body, wireTap, options.transform, storedTap, createWriteStream(partial));
      } else {
        await pipeline(body, wireTap, storedTap, createWriteStream(partial));
      }
    } catch (error) {
      throw fail(error);
    }
    if (total !== undefined && size !== total) {
      throw new QdrantError(`The download of ${route} ended after ${size} of ${total} bytes.`, {
        method: 'GET',
        path: route,
        code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
      });
    }
    const incomplete = tarEnd?.incomplete;
    if (incomplete) {
      // Retryable like any download that ended early: the next attempt asks for a fresh snapshot.
      throw new QdrantError(`The snapshot streamed from ${route} is incomplete: ${incomplete}.`, {
        method: 'GET',
        path: route,
        code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
      });
    }
    return { size, sha256: wire.digest('hex'), storedSize, storedSha256: stored.digest('hex') };
  }

  /**
   * Recovers `collection` from a snapshot file by upload (`priority=snapshot`: without it a new
   * collection can end up empty). The server checks `checksum` before touching anything. The file is
   * reopened on every attempt, so a retry sends it whole again. Qdrant keeps the uploaded file among the
   * collection's snapshots: it is deleted afterwards, so a restore leaves nothing behind on the server.
   *
   * The multipart body is written by hand through node:http(s) from a pool of reused buffers, not as an
   * undici FormData over `openAsBlob`, which allocates a fresh buffer per chunk: memory stays constant
   * whatever the snapshot's size (bench/README.md has the figures).
   */
  async uploadSnapshot(
    collection: string,
    file: string,
    options: { checksum: string; priority?: SnapshotPriority; signal?: AbortSignal },
  ): Promise<void> {
    const route = path`/collections/${collection}/snapshots/upload`;
    await this.uploadTo(route, file, uploadedSnapshotName(collection), options, {
      collection,
      list: () => this.listSnapshots(collection),
      remove: (name) => this.deleteSnapshot(collection, name),
    });
  }

  private async uploadTo(
    route: string,
    file: string,
    filename: string,
    options: { checksum: string; priority?: SnapshotPriority; signal?: AbortSignal },
    at: UploadPlace,
  ): Promise<void> {
    const query = { wait: 'true', priority: options.priority ?? 'snapshot', checksum: options.checksum };
    const { size } = await stat(file);
    let lastError: QdrantError | undefined;
    try {
      await this.retried(async () => {
        // Qdrant keeps recovering after the client is gone: after a failure that may have reached it, a
        // second upload would start a second recovery. The copy it keeps of a complete upload says it
        // arrived.
        if (lastError && mayHaveReachedServer(lastError)) {
          if (await this.settleRecovery(at, filename, size, options.signal)) return true;
        }
        try {
          return await this.uploadOnce(route, file, filename, { query, signal: options.signal });
        } catch (error) {
          if (error instanceof QdrantError) lastError = error;
          throw error;
        }
      });
    } finally {
      // Qdrant keeps the uploaded file among the snapshots whatever the outcome.
      await at.remove(filename).catch(() => {});
    }
  }

  /**
   * True when an earlier attempt's upload reached the server whole and its recovery has ended. The upload
   * may still be arriving when the client hears of the failure, so its absence is trusted only after a
   * grace period.
   */
  private async settleRecovery(
    at: UploadPlace,
    uploaded: string,
    size: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const started = Date.now();
    let arrivedAt: number | undefined;
    for (;;) {
      const activity = await this.snapshotActivity(at.collection);
      const waited = Date.now() - started;
      if (waited > this.options.timeoutMs) return false;
      if (!activity || activity.recovering === 0) {
        const copies = await at.list().catch(() => []);
        if (copies.some((s) => s.name === uploaded && s.size === size)) {
          // Without telemetry nothing says when the recovery ends: give it the grace period too.
          if (activity) return true;
          arrivedAt ??= Date.now();
          if (Date.now() - arrivedAt > SETTLE_GRACE_MS) return true;
        } else if (waited > SETTLE_GRACE_MS) {
          return false;
        }
      }
      await sleep(SETTLE_POLL_MS, undefined, { signal });
    }
  }

  // --- Shard snapshots (each works only on a node holding a replica of the shard) ------------------

  async listShardSnapshots(collection: string, shard: number): Promise<SnapshotDescription[]> {
    return this.get<SnapshotDescription[]>(
      path`/collections/${collection}/shards/${String(shard)}/snapshots`,
    );
  }

  async deleteShardSnapshot(collection: string, shard: number, snapshot: string): Promise<void> {
    await this.retried(() =>
      this.send<boolean>(
        'DELETE',
        path`/collections/${collection}/shards/${String(shard)}/snapshots/${snapshot}`,
        { query: { wait: 'true' } },
      ),
    );
  }

  /** `POST /collections/{c}/shards/{s}/snapshots?wait=true`, repeated safely as createSnapshot is. */
  async createShardSnapshot(
    collection: string,
    shard: number,
    signal?: AbortSignal,
  ): Promise<SnapshotDescription> {
    return this.createSnapshotAt(
      path`/collections/${collection}/shards/${String(shard)}/snapshots`,
      collection,
      {
        list: () => this.listShardSnapshots(collection, shard),
        signal,
      },
    );
  }

  /** Downloads a named shard snapshot (made by createShardSnapshot) like downloadSnapshot does. */
  async downloadShardSnapshot(
    collection: string,
    shard: number,
    snapshot: string,
    destination: string,
    options: DownloadOptions = {},
  ): Promise<DownloadResult> {
    const route = path`/collections/${collection}/shards/${String(shard)}/snapshots/${snapshot}`;
    return this.downloadTo(
      route,
      destination,
      options,
      `snapshot ${snapshot} of shard ${shard} of ${collection}`,
    );
  }

  /**
   * `GET /collections/{c}/shards/{s}/snapshot`: a fresh shard snapshot streamed straight to `destination`,
   * never written to the server's disk. No checksum comes first: the SHA-256 is computed in the same pass,
   * and the archive must reach its end-of-archive marker (a failure on the server ends the stream early
   * but cleanly). A retry asks for a new snapshot.
   */
  async streamShardSnapshot(
    collection: string,
    shard: number,
    destination: string,
    options: Omit<DownloadOptions, 'expectedSha256'> = {},
  ): Promise<DownloadResult> {
    const route = path`/collections/${collection}/shards/${String(shard)}/snapshot`;
    return this.downloadTo(
      route,
      destination,
      options,
      `the snapshot of shard ${shard} of ${collection}`,
      true,
    );
  }

  /**
   * Recovers one shard from a snapshot file by upload (`POST .../shards/{s}/snapshots/upload`). The node
   * must hold a replica of the shard; the other replicas turn Dead or Partial and then recover from it.
   */
  async uploadShardSnapshot(
    collection: string,
    shard: number,
    file: string,
    options: { checksum: string; priority?: SnapshotPriority; signal?: AbortSignal },
  ): Promise<void> {
    const route = path`/collections/${collection}/shards/${String(shard)}/snapshots/upload`;
    await this.uploadTo(route, file, uploadedShardSnapshotName(collection, shard), options, {
      collection,
      list: () => this.listShardSnapshots(collection, shard),
      remove: (name) => this.deleteShardSnapshot(collection, shard, name),
    });
  }

  private async uploadOnce(
    route: string,
    file: string,
    filename: string,
    options: CallOptions,
  ): Promise<boolean | null> {
    const method = 'POST';
    const { url, signal, fail, done } = this.prepare(method, route, options);
    this.uploadAgent ??=
      url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    let answer;
    try {
      answer = await postMultipartFile({
        url,
        headers: this.headers,
        field: 'snapshot',
        filename,
        file,
        signal,
        agent: this.uploadAgent,
      });
    } catch (error) {
      throw fail(error);
    } finally {
      done();
    }
    const { statusCode, headers, text, bodyError } = answer;
    if (statusCode >= 200 && statusCode < 300) {
      if (bodyError !== undefined) throw fail(bodyError);
      // A collection upload answers true, a shard upload null.
      return this.parseAnswer<boolean | null>(method, route, statusCode, text);
    }
    throw await this.httpError(method, route, statusCode, text, headers['retry-after']);
  }

  // --- Points (read-only) --------------------------------------------------------------------------

  /**
   * One page of `POST /collections/{c}/points/scroll`, in id order; `next_page_offset` is null after the
   * last page. Read-only, so retried like a GET.
   */
  async scrollPoints(collection: string, options: PointReadOptions & PageOptions): Promise<ScrollPage> {
    const route = path`/collections/${collection}/points/scroll`;
    const body = (withVector: boolean, withPayload: boolean) =>
      pointsJson({
        limit: options.limit,
        offset: options.offset ?? undefined,
        with_vector: withVector,
        with_payload: withPayload,
      });
    const page = await this.postPoints<ScrollPage>(
      route,
      body(options.withVector ?? false, options.withPayload ?? false),
      options.signal,
    );
    const rounded = [...page.points.map((p) => p.id), page.next_page_offset];
    if (rounded.every(isExactId)) return page;
    const exact = await this.exactIds(route, body(false, false), page.points.length, options.signal);
    return {
      points: withExactIds(page.points, exact.ids, route),
      next_page_offset: exact.next === undefined ? page.next_page_offset : exact.next,
    };
  }

  /**
   * `POST /collections/{c}/points/query` with `sample: random` (Qdrant 1.11+): the ids of up to `limit`
   * points the server draws at random, read exactly from the answer's text (ids above 2^53 included).
   */
  async randomPointIds(collection: string, limit: number, signal?: AbortSignal): Promise<PointId[]> {
    const route = path`/collections/${collection}/points/query`;
    const json = JSON.stringify({
      query: { sample: 'random' },
      limit,
      with_vector: false,
      with_payload: false,
    });
    const text = await this.postText(route, json, signal);
    const answer = this.parseAnswer<{ points?: unknown[] }>('POST', route, 200, text);
    const ids = [...text.matchAll(/\{"id":(\d+|"[^"]*")/g)].map((m) => exactId(m[1]!));
    if (!Array.isArray(answer.points) || ids.length !== answer.points.length) {
      throw this.notQdrant('POST', route, `its answer holds ${describeBody(text)}, not a list of points`);
    }
    return ids;
  }

  /** `POST /collections/{c}/points`: the points with these ids (in no promised order); absent ids are left out. */
  async retrievePoints(
    collection: string,
    ids: PointId[],
    options: PointReadOptions = {},
  ): Promise<PointRecord[]> {
    const route = path`/collections/${collection}/points`;
    const body = (withVector: boolean, withPayload: boolean) =>
      pointsJson({ ids, with_vector: withVector, with_payload: withPayload });
    const points = await this.postPoints<PointRecord[]>(
      route,
      body(options.withVector ?? false, options.withPayload ?? false),
      options.signal,
    );
    if (points.every((p) => isExactId(p.id))) return points;
    const exact = await this.exactIds(route, body(false, false), points.length, options.signal);
    return withExactIds(points, exact.ids, route);
  }

  /** A read-only POST's answer as text (retried like a GET): for ids that JSON.parse would round. */
  private postText(route: string, json: string, signal?: AbortSignal): Promise<string> {
    return this.retried(async () => {
      const { response, fail } = await this.open('POST', route, { json, signal });
      try {
        return await response.body.text();
      } catch (error) {
        throw fail(error);
      }
    });
  }

  private postPoints<T>(route: string, json: string, signal?: AbortSignal): Promise<T> {
    return this.retried(() => this.send<T>('POST', route, { json, signal }));
  }

  /**
   * Integer ids above 2^53 lose digits in JSON.parse. The same request without vectors and payload is
   * answered as `{"id":…}` records only, so the ids can be read exactly from its text.
   */
  private async exactIds(
    route: string,
    json: string,
    expected: number,
    signal?: AbortSignal,
  ): Promise<{ ids: PointId[]; next?: PointId | null }> {
    const text = await this.postText(route, json, signal);
    const ids = [...text.matchAll(/\{"id":(\d+|"[^"]*")/g)].map((m) => exactId(m[1]!));
    if (ids.length !== expected) {
      throw new QdrantError(
        `The ids of ${route} changed between two reads (${expected} then ${ids.length} points): is the collection being written to?`,
        { method: 'POST', path: route },
      );
    }
    const next = /"next_page_offset":(\d+|"[^"]*"|null)/.exec(text)?.[1];
    return { ids, next: next === undefined ? undefined : next === 'null' ? null : exactId(next) };
  }

  // --- Plumbing ------------------------------------------------------------------------------------

  private get<T>(route: string): Promise<T> {
    return this.retried(() => this.send<T>('GET', route));
  }

  private retried<T>(operation: () => Promise<T>): Promise<T> {
    // A retry is announced once per reason with its attempt count, not at every attempt.
    const announce = retryAnnouncer(this.url, this.retry.attempts);
    return withRetry(operation, this.retry, {
      onRetry: (error, attempt, delayMs) => {
        const note = announce(error, attempt, delayMs);
        if (note) this.options.onRetry?.(error, note);
      },
    });
  }

  private async send<T>(
    method: Dispatcher.HttpMethod,
    route: string,
    options: CallOptions & { raw?: boolean } = {},
  ) {
    const { response, fail } = await this.open(method, route, options);
    const { body, statusCode } = response;
    let text: string;
    try {
      text = await body.text();
    } catch (error) {
      throw fail(error);
    }
    return this.parseAnswer<T>(method, route, statusCode, text, options.raw);
  }

  /** The result in a 2xx answer's body, which must be JSON in Qdrant's envelope (unless `raw`). */
  private parseAnswer<T>(method: string, route: string, statusCode: number, text: string, raw?: boolean): T {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw this.notQdrant(method, route, `it answered ${statusCode} with ${describeBody(text)}`);
    }
    if (raw) return parsed as T;
    if (typeof parsed !== 'object' || parsed === null || !('result' in parsed) || !('status' in parsed)) {
      throw this.notQdrant(
        method,
        route,
        `its ${statusCode} answer is JSON without Qdrant's result envelope`,
      );
    }
    return (parsed as Envelope<T>).result;
  }

  /**
   * Sends a request and returns the response when its status is 2xx; otherwise throws a QdrantError.
   * `fail` turns an error met while reading the body into the error to throw.
   */
  private async open(
    method: Dispatcher.HttpMethod,
    route: string,
    options: CallOptions,
  ): Promise<{ response: Dispatcher.ResponseData; fail: (error: unknown) => QdrantError | ActionError }> {
    const { url, signal, fail, done } = this.prepare(method, route, options);
    const json = options.json ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined);
    const isJson = json !== undefined;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method,
        dispatcher: this.agent,
        signal,
        headers: { ...this.headers, ...(isJson ? { 'content-type': 'application/json' } : {}) },
        body: json,
      });
    } catch (error) {
      done();
      throw fail(error);
    }
    // The deadline covers the body too: undici aborts a body still streaming when the signal fires. Once
    // the body is read (or destroyed), the deadline's timer and the caller's listener are let go.
    response.body.once('close', done);
    if (response.statusCode >= 200 && response.statusCode < 300) return { response, fail };
    const text = await response.body.text().catch(() => '');
    throw await this.httpError(method, route, response.statusCode, text, response.headers['retry-after']);
  }

  /**
   * The URL of a call, its signal (the call's deadline, plus the caller's signal) and `fail`, which turns an
   * error met during the call into the error to throw.
   */
  private prepare(
    method: string,
    route: string,
    options: CallOptions,
  ): {
    url: URL;
    signal: AbortSignal;
    fail: (error: unknown) => QdrantError | ActionError;
    /** Call when the call is over, body included: clears the deadline's timer and the caller's listener. */
    done: () => void;
  } {
    const url = new URL(this.url + route);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    // Not AbortSignal.timeout + AbortSignal.any: on Node 24 each such pair, tied to the run's long-lived
    // cancellation signal, stayed in memory until its deadline (an hour by default): a backup of 1,000 small
    // collections peaked at 248 MiB of RSS. A timer and a listener cleared at the end of the call do not.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    }, timeoutMs);
    timer.unref(); // the socket keeps the process alive while the call runs
    const caller = options.signal;
    const onCancel = () => controller.abort(caller?.reason);
    if (caller?.aborted) onCancel();
    else caller?.addEventListener('abort', onCancel, { once: true });
    const done = () => {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCancel);
    };
    const signal = controller.signal;
    const started = Date.now();
    // The deadline (or the caller's signal) may fire while the body streams; undici then destroys the body
    // with the signal's reason, an error that would otherwise read as a retryable failure (and each retry
    // gets a fresh deadline). Both are recognised by the state of the signals, whatever error undici reports.
    const fail = (error: unknown): QdrantError | ActionError => {
      if (timedOut) return this.timedOut(method, route, Date.now() - started, timeoutMs);
      if (options.signal?.aborted) return this.cancelled(method, route, error);
      return this.wrapFailure(method, route, error);
    };
    return { url, signal, fail, done };
  }

  private async httpError(
    method: string,
    route: string,
    status: number,
    text: string,
    retryAfter: string | string[] | undefined,
  ): Promise<QdrantError> {
    let qdrantMessage: string | undefined;
    try {
      const parsed = JSON.parse(text) as { status?: { error?: unknown } };
      if (typeof parsed?.status?.error === 'string') qdrantMessage = parsed.status.error;
    } catch {}
    const trimmed = text.trim();
    // Every route this client calls exists in Qdrant, whose 404s are its JSON envelope or, for downloads,
    // text starting "Not found:": any other 404 (a proxy, another API) means the URL is not Qdrant.
    if (status === 404 && qdrantMessage === undefined && !/^Not found:/.test(trimmed)) {
      return this.notQdrant(method, route, `it answered 404 with ${describeBody(text)}`);
    }
    // Qdrant renders some errors as text/plain (401, the upload's 403, download 404s); that text is its own
    // error message, and the 404 hint below needs it.
    if (qdrantMessage === undefined && trimmed && !/^[{[<]/.test(trimmed) && trimmed.length <= 1000) {
      qdrantMessage = trimmed;
    }
    let hint: Message = hintFor(status, this.url, method, route);
    const collection = /^\/collections\/([^/]+)/.exec(route)?.[1];
    if (
      status === 404 &&
      collection &&
      collection !== 'aliases' &&
      // Not just /collection/i, which also matches "Snapshot my-collection-1.snapshot not found".
      /\bCollection `[^`]*` (doesn't|does not) exist/i.test(qdrantMessage ?? '')
    ) {
      const existing = await this.listCollectionsQuietly();
      hint = [`Collections at ${this.url}: ${existing.length > 0 ? existing.join(', ') : 'none'}.`];
    }
    const retrySeconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    const detail = qdrantMessage ? `: ${qdrantMessage}` : text ? `: ${describeBody(text)}` : '';
    return new QdrantError(
      say`Qdrant answered ${status} to ${method} ${route}${detail}${/[.!?]$/.test(detail) ? '' : '.'}${hint.length ? ' ' : ''}${hint}`,
      {
        method,
        path: route,
        status,
        qdrantMessage,
        retryAfterMs: Number.isFinite(retrySeconds) && retrySeconds > 0 ? retrySeconds * 1000 : undefined,
      },
    );
  }

  private async listCollectionsQuietly(): Promise<string[]> {
    try {
      const { response } = await this.open('GET', '/collections', { timeoutMs: 10_000 });
      const parsed = JSON.parse(await response.body.text()) as Envelope<CollectionsResponse>;
      return parsed.result.collections.map((c) => c.name).sort();
    } catch {
      return [];
    }
  }

  private wrapFailure(method: string, route: string, error: unknown): QdrantError | ActionError {
    if (error instanceof QdrantError || error instanceof ActionError) return error;
    const code = networkCode(error);
    if (code === 'ECONNREFUSED') {
      return new QdrantError(
        say`Cannot connect to Qdrant at ${this.url} (connection refused) for ${method} ${route}. Is Qdrant running at that URL? Check ${setting('url')} (REST port, usually 6333)${advice('start-qdrant')}.`,
        { method, path: route, code },
        { cause: error },
      );
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return new QdrantError(
        say`Cannot reach Qdrant at ${this.url}: the host name ${new URL(this.url).hostname} does not resolve (${code}) for ${method} ${route}. Check the host name in ${setting('url')}${code === 'EAI_AGAIN' ? ' and the DNS server of this machine' : ''}.`,
        { method, path: route, code },
        { cause: error },
      );
    }
    if (code && CERTIFICATE_CODES.has(code)) {
      return new QdrantError(
        `The TLS certificate of ${this.url} is not trusted (${code}) for ${method} ${route}. For a self-signed certificate or a private CA, give its CA certificate to Node with the environment variable NODE_EXTRA_CA_CERTS=/path/to/ca.pem (in a workflow, the step's env:); otherwise fix the server's certificate. Verification is never switched off.`,
        { method, path: route, code: 'TLS_CERTIFICATE' },
        { cause: error },
      );
    }
    if (code?.startsWith('ERR_SSL') || /wrong version number|ssl/i.test(String((error as Error)?.message))) {
      // node:http (uploads) reports a failed handshake as `write EPROTO ...:SSL routines:...:wrong version
      // number`, undici as ERR_SSL_WRONG_VERSION_NUMBER: name it the same way whichever reported it.
      const reason = /SSL routines:[^:]*:([a-z ]+)/i.exec(String((error as Error)?.message))?.[1];
      const tlsCode =
        code?.startsWith('ERR_SSL') || !reason
          ? code
          : `ERR_SSL_${reason.trim().toUpperCase().replace(/ /g, '_')}`;
      return new QdrantError(
        `TLS handshake with ${this.url} failed for ${method} ${route} (${tlsCode ?? 'SSL error'}). The port probably speaks plain HTTP: use an http:// URL, or enable TLS on the server.`,
        { method, path: route, code: 'TLS' },
        { cause: error },
      );
    }
    if (code === 'ENOSPC') {
      return new ActionError(
        say`The disk is full while writing ${route}: free space, or point ${setting('path')} at a larger volume.`,
        { cause: error },
      );
    }
    if (isConnectionError(error)) {
      return new QdrantError(
        `The connection to ${this.url} broke during ${method} ${route} (${code ?? (error as Error).message}).`,
        // Retryable whatever code undici gave a broken connection (see QdrantError.retryable).
        { method, path: route, code: code && isRetryableCode(code) ? code : 'ECONNRESET' },
        { cause: error },
      );
    }
    if (error instanceof Error && error.name === 'AbortError') return this.cancelled(method, route, error);
    // A local file error (the destination folder missing, no permission) is the runner's problem, not the
    // server's: say so, and do not retry it.
    const local = error as NodeJS.ErrnoException;
    if (local instanceof Error && typeof local.path === 'string' && typeof local.syscall === 'string') {
      return new ActionError(`Cannot access ${local.path} during ${method} ${route}: ${local.message}`, {
        cause: error,
      });
    }
    return new QdrantError(
      `${method} ${route} at ${this.url} failed: ${error instanceof Error ? error.message : String(error)}`,
      { method, path: route, code },
      { cause: error },
    );
  }

  private cancelled(method: string, route: string, error: unknown): QdrantError {
    return new QdrantError(
      `${method} ${route} was cancelled.`,
      { method, path: route, code: 'ABORTED' },
      { cause: error },
    );
  }

  private timedOut(method: string, route: string, elapsedMs: number, timeoutMs: number): QdrantError {
    return new QdrantError(
      say`Qdrant did not finish ${method} ${route} within ${seconds(timeoutMs)} s (gave up after ${(elapsedMs / 1000).toFixed(1)} s). Raise ${setting('timeout')} for large collections, or check the server.`,
      { method, path: route, code: 'TIMEOUT' },
    );
  }

  private notQdrant(method: string, route: string, why: string): QdrantError {
    return new QdrantError(
      say`${this.url} is not a Qdrant REST API: ${method} ${route} failed because ${why}. Check ${setting('url')}: it must be Qdrant's REST address (port 6333 by default), not a dashboard, proxy page or gRPC port.`,
      { method, path: route, code: 'NOT_QDRANT' },
    );
  }
}

export interface PointReadOptions {
  withVector?: boolean;
  withPayload?: boolean;
  signal?: AbortSignal;
}

export interface PageOptions {
  limit: number;
  /** The first id of the page (a previous page's `next_page_offset`); the first page when absent. */
  offset?: PointId | null;
}

/** JSON for a points request; bigint ids are written as plain integers. */
function pointsJson(body: Record<string, unknown>): string {
  return JSON.stringify(body, (_key, value: unknown) =>
    typeof value === 'bigint' ? `\u0000bigint:${value}\u0000` : value,
  ).replace(/"\\u0000bigint:(\d+)\\u0000"/g, '$1');
}

/** False for an id that JSON.parse may have rounded. */
function isExactId(id: PointId | null): boolean {
  return typeof id !== 'number' || Number.isSafeInteger(id);
}

/** An id from its JSON text: a UUID string, or an integer (a bigint when above 2^53). */
function exactId(text: string): PointId {
  if (text.startsWith('"')) return JSON.parse(text) as string;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

function withExactIds(points: PointRecord[], ids: PointId[], route: string): PointRecord[] {
  return points.map((point, i) => {
    const id = ids[i]!;
    // The exact id must round to the id the full answer carried: otherwise the two reads saw other points.
    const same = typeof id === 'bigint' ? Number(id) === point.id : id === point.id;
    if (!same) {
      throw new QdrantError(
        `The ids of ${route} changed between two reads: is the collection being written to?`,
        { method: 'POST', path: route },
      );
    }
    return { ...point, id };
  });
}

/** Seconds for a message: one decimal below 10 s, whole seconds above. */
function seconds(ms: number): string {
  return ms < 10_000 ? String(Math.round(ms / 100) / 10) : String(Math.round(ms / 1000));
}

function describeBody(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'an empty body';
  if (/^<(!doctype|html)/i.test(trimmed)) return 'an HTML page';
  return JSON.stringify(trimmed.length > 120 ? `${trimmed.slice(0, 120)}...` : trimmed);
}
