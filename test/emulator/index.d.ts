// Types of the Qdrant REST emulator (implementation: index.js).

export interface EmulatorOptions {
  /** 0 (default) picks a free port */
  port?: number;
  /** default '127.0.0.1' */
  host?: string;
  /** snapshots/, storage/ and tmp/ live here */
  dataDir: string;
  /** read-write key: `api-key: K` or `Authorization: Bearer K` */
  apiKey?: string;
  /** read-only key: reads pass, any mutation answers 403 */
  readOnlyKey?: string;
  /** reported by GET / and written into snapshots; default '1.19.0' */
  version?: string;
  /** used in snapshot names `{collection}-{peerId}-{YYYY-MM-DD-HH-MM-SS}.snapshot` */
  peerId?: number;
  /** every snapshot creation takes this long */
  snapshotCreateDelayMs?: number;
  /** 's3': snapshots kept in S3 on the server: no checksum in create/list answers, downloads without
   *  Content-Length or byte ranges. Default 'local'. */
  snapshotStorage?: 'local' | 's3';
  /** a one-node cluster (cluster.enabled): GET /cluster reports it enabled, this peer the leader */
  cluster?: boolean;
}

export type FaultRoute =
  | 'root'
  | 'healthz'
  | 'livez'
  | 'readyz'
  | 'cluster'
  | 'collections.list'
  | 'collection.info'
  | 'collection.exists'
  | 'collection.create'
  | 'collection.delete'
  | 'collection.update'
  | 'aliases.list'
  | 'aliases.update'
  | 'points.upsert'
  | 'points.get'
  | 'points.count'
  | 'points.scroll'
  | 'points.query'
  | 'points.delete'
  | 'index.create'
  | 'index.delete'
  | 'collection.cluster'
  | 'snapshot.create'
  | 'snapshot.list'
  | 'snapshot.download'
  | 'snapshot.delete'
  | 'snapshot.upload'
  | 'snapshot.recover'
  | 'full_snapshot.create'
  | 'full_snapshot.list'
  | 'full_snapshot.download'
  | 'full_snapshot.delete'
  | 'unknown'
  | '*';

export interface Fault {
  route: FaultRoute;
  /** only requests whose path names this collection (as written in the path, alias or not) */
  collection?: string;
  /** delay before answering */
  latencyMs?: number;
  /** the next `count` (default 1) matching requests answer `status` with a Qdrant error envelope; then the rule is spent */
  failNext?: { count?: number; status: number; retryAfter?: number; message?: string };
  /** destroy the socket after K bytes of the response body (downloads, JSON) or of the request body (uploads) */
  resetAfterBytes?: number;
  /** pace the response body (downloads) or the request body read (uploads) */
  throttleBytesPerSec?: number;
  /** flip (xor 0xff) the byte at this absolute file offset of a download; Content-Length unchanged */
  flipByteAt?: number;
  /** how many bodies resetAfterBytes / flipByteAt hit (default 1); for rules without failNext,
   *  resetAfterBytes or flipByteAt: how many requests the rule applies to before it is spent */
  times?: number;
  /** snapshot create / list advertise a checksum that is not the file's */
  wrongChecksum?: boolean;
  /** accept the request and never answer (sockets are destroyed by close() / restart()) */
  hang?: boolean;
  /** upload / recover keep only this fraction of the points */
  recoverKeepFraction?: number;
  /** snapshot creation takes that much longer */
  createDelayMs?: number;
}

export interface FaultHandle {
  readonly id: number;
  /** requests this rule matched so far */
  readonly hits: number;
  /** true once spent or removed */
  readonly removed: boolean;
  remove(): void;
}

export interface RecordedRequest {
  method: string;
  /** path without query, trailing slash trimmed */
  path: string;
  query: Record<string, string>;
  /** HTTP status sent; 0 while unanswered (hang) or when the connection was cut before headers */
  status: number;
}

export interface PointInput {
  id: number | string;
  vector:
    number[] | number[][] | Record<string, number[] | number[][] | { indices: number[]; values: number[] }>;
  payload?: Record<string, unknown> | null;
}

export interface Emulator {
  readonly url: string;
  readonly port: number;
  readonly version: string;
  readonly peerId: number;
  readonly dataDir: string;
  /** the server's snapshots folder: `file://` recover locations must be inside it */
  readonly snapshotsDir: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
  /** stop listening (drop open connections), wait downMs, listen again on the same port; data is kept */
  restart(opts?: { downMs?: number }): Promise<void>;
  inject(fault: Fault): FaultHandle;
  clearFaults(): void;
  /** files stored in the server's snapshot folder of that collection (uploaded leftovers included, .checksum sidecars excluded) */
  snapshotFiles(collection: string): string[];
  /** same as PUT /collections/{name} with a CreateCollection body */
  createCollection(name: string, config: Record<string, unknown>): Promise<true>;
  /** same as PUT /collections/{name}/points?wait=true */
  upsertPoints(name: string, points: PointInput[]): Promise<{ operation_id: number; status: 'completed' }>;
  /** large-data mode: the collection is backed by the snapshot file (linked, never loaded) */
  addCollectionFromSnapshot(
    name: string,
    snapshotFilePath: string,
    opts?: { sha256?: string },
  ): Promise<void>;
}

export function startEmulator(opts: EmulatorOptions): Promise<Emulator>;

export { writeSnapshotFile } from './make-snapshot.js';

/** `file://` URL for a path (for PUT /collections/{c}/snapshots/recover) */
export function fileUrl(path: string): string;

/** SHA-256 hex of a file, streaming */
export function hashFile(path: string): Promise<string>;
