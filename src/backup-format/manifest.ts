import { readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ManifestError } from '../core/errors.js';
import { say, setting } from '../core/wording.js';
import { collectionNameProblem } from '../qdrant/names.js';
import { ENCRYPTION_SCHEME } from './crypto.js';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'qdrant-snapshot-manifest';
export const MANIFEST_VERSION = 2;

export type ShardKey = string | number;

/** One file of a backup: a collection snapshot, or one shard's snapshot in a shard-level backup. */
export interface ManifestFile {
  /** Plain file name inside the backup folder. */
  file: string;
  /** Size and SHA-256 of the file as stored (encrypted when the manifest's encryption is set). */
  size: number;
  sha256: string;
  /** Size and SHA-256 of the snapshot as Qdrant made it; equal to size/sha256 unless encrypted. */
  snapshot_size: number;
  snapshot_sha256: string;
  /** Exact number of points the file holds. */
  points: number;
  /** Which shard it holds and the peer it came from (shard-level backups only). */
  shard?: { id: number; key: ShardKey | null; peer_id: number };
}

export interface Sharding {
  method: 'auto' | 'custom';
  /** Shards per shard key with custom sharding, as `config.params.shard_number`. */
  shard_number: number;
  replication_factor: number;
  /** Custom sharding only, in creation order; [] otherwise. */
  shard_keys: ShardKey[];
}

export interface ManifestCollection {
  name: string;
  /** Exact point count: the sum of the files' points. */
  points: number;
  aliases: string[];
  /** The collection's whole config (params, hnsw_config, optimizer_config, wal_config, quantization...). */
  config: Record<string, unknown>;
  /** Payload indexes (field -> schema); null where unknown (version 1 backups). */
  payload_schema: Record<string, unknown> | null;
  sharding: Sharding;
  /** 'collection': one collection snapshot; 'shard': one snapshot per shard. */
  level: 'collection' | 'shard';
  files: ManifestFile[];
  /** Content fingerprint (core/fingerprint); null when none was taken. */
  fingerprint: Record<string, unknown> | null;
  /** The counts or the fingerprint changed between before and after the snapshot. */
  written_during_backup: boolean;
}

export interface ManifestFailure {
  name: string;
  error: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  created_at: string;
  qdrant_version: string;
  complete: boolean;
  /** Every file is encrypted when set. */
  encryption: typeof ENCRYPTION_SCHEME | null;
  /** The cluster the backup came from; null for a single node (distributed mode off). */
  cluster: { peers: number } | null;
  collections: ManifestCollection[];
  failed: ManifestFailure[];
}

/** Bytes of a collection's files as stored. */
export function storedBytes(collection: ManifestCollection): number {
  return collection.files.reduce((sum, f) => sum + f.size, 0);
}

/** The sharding a collection's `config.params` describes (all a version 1 backup recorded). */
export function shardingOf(params: Record<string, unknown>, shardKeys: ShardKey[] = []): Sharding {
  return {
    method: params.sharding_method === 'custom' ? 'custom' : 'auto',
    shard_number: typeof params.shard_number === 'number' ? params.shard_number : 1,
    replication_factor: typeof params.replication_factor === 'number' ? params.replication_factor : 1,
    shard_keys: shardKeys,
  };
}

const TOP_FIELDS = [
  'format',
  'version',
  'created_at',
  'qdrant_version',
  'complete',
  'encryption',
  'cluster',
  'collections',
  'failed',
];
const COLLECTION_FIELDS = [
  'name',
  'points',
  'aliases',
  'config',
  'payload_schema',
  'sharding',
  'level',
  'files',
  'fingerprint',
  'written_during_backup',
];
const FILE_FIELDS = ['file', 'size', 'sha256', 'snapshot_size', 'snapshot_sha256', 'points', 'shard'];
const V1_COLLECTION_FIELDS = [
  'name',
  'file',
  'size',
  'sha256',
  'points',
  'config',
  'aliases',
  'encrypted',
  'snapshot_size',
  'snapshot_sha256',
];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Refuses anything that could escape the backup folder or collide with the manifest. */
export function checkPlainFileName(file: string, where: string): void {
  if (
    file.length === 0 ||
    file.length > 255 ||
    /[/\\\0:]/.test(file) ||
    file === '.' ||
    file === '..' ||
    file.includes('..') ||
    path.isAbsolute(file) ||
    file === MANIFEST_FILE
  ) {
    throw new ManifestError(
      `${where}: file name ${JSON.stringify(file)} is not a plain file name inside the backup folder (no separators, no '..', no absolute path). The manifest was altered or not written by this tool; use an untouched backup.`,
    );
  }
}

function checkName(name: unknown, where: string): string {
  const problem =
    typeof name === 'string' ? collectionNameProblem(name, { allowGlob: true }) : 'is not a string';
  if (problem) {
    throw new ManifestError(
      `${where}: ${JSON.stringify(name)} is not a valid collection name (it ${problem}).`,
    );
  }
  return name as string;
}

function unknownFields(object: Json, known: string[], where: string): void {
  const extra = Object.keys(object).filter((key) => !known.includes(key));
  if (extra.length > 0) {
    throw new ManifestError(
      `${where} has unknown field(s) ${extra.join(', ')}; it was written by another tool or a newer version of this one. Use the qdrant-snapshot-action version that made the backup.`,
    );
  }
}

function nonNegativeInteger(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ManifestError(`${where} must be a whole number of at least 0; got ${JSON.stringify(value)}.`);
  }
  return value;
}

function sha256(value: unknown, where: string): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) {
    throw new ManifestError(
      `${where} must be a SHA-256 in lowercase hex (64 characters); got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

function shardKey(value: unknown, where: string): ShardKey {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new ManifestError(
    `${where} must be a shard key (a string or a whole number); got ${JSON.stringify(value)}.`,
  );
}

function positiveInteger(value: unknown, where: string): number {
  const n = nonNegativeInteger(value, where);
  if (n === 0) throw new ManifestError(`${where} must be at least 1.`);
  return n;
}

function parseFile(raw: unknown, where: string, level: 'collection' | 'shard'): ManifestFile {
  if (!isObject(raw)) throw new ManifestError(`${where} must be an object.`);
  unknownFields(raw, FILE_FIELDS, where);
  if (typeof raw.file !== 'string') throw new ManifestError(`${where}.file must be a string.`);
  checkPlainFileName(raw.file, `${where}.file`);
  const file: ManifestFile = {
    file: raw.file,
    size: nonNegativeInteger(raw.size, `${where}.size`),
    sha256: sha256(raw.sha256, `${where}.sha256`),
    snapshot_size: nonNegativeInteger(raw.snapshot_size, `${where}.snapshot_size`),
    snapshot_sha256: sha256(raw.snapshot_sha256, `${where}.snapshot_sha256`),
    points: nonNegativeInteger(raw.points, `${where}.points`),
  };
  if (level === 'shard') {
    const shard = raw.shard;
    if (!isObject(shard))
      throw new ManifestError(`${where}.shard must be {"id", "key", "peer_id"} in a shard-level backup.`);
    unknownFields(shard, ['id', 'key', 'peer_id'], `${where}.shard`);
    file.shard = {
      id: nonNegativeInteger(shard.id, `${where}.shard.id`),
      key: shard.key === null ? null : shardKey(shard.key, `${where}.shard.key`),
      peer_id: nonNegativeInteger(shard.peer_id, `${where}.shard.peer_id`),
    };
  } else if (raw.shard !== undefined) {
    throw new ManifestError(`${where}.shard belongs only in a shard-level backup.`);
  }
  return file;
}

function parseSharding(raw: unknown, where: string): Sharding {
  if (!isObject(raw)) throw new ManifestError(`${where} must be an object.`);
  unknownFields(raw, ['method', 'shard_number', 'replication_factor', 'shard_keys'], where);
  if (raw.method !== 'auto' && raw.method !== 'custom')
    throw new ManifestError(`${where}.method must be "auto" or "custom".`);
  if (!Array.isArray(raw.shard_keys)) throw new ManifestError(`${where}.shard_keys must be an array.`);
  return {
    method: raw.method,
    shard_number: positiveInteger(raw.shard_number, `${where}.shard_number`),
    replication_factor: positiveInteger(raw.replication_factor, `${where}.replication_factor`),
    shard_keys: raw.shard_keys.map((key, i) => shardKey(key, `${where}.shard_keys[${i}]`)),
  };
}

function nullableObject(value: unknown, where: string): Record<string, unknown> | null {
  if (value === null) return null;
  if (!isObject(value)) throw new ManifestError(`${where} must be an object or null.`);
  return value;
}

function parseCollection(raw: unknown, index: number): ManifestCollection {
  const where = `manifest.json collections[${index}]`;
  if (!isObject(raw)) throw new ManifestError(`${where} must be an object.`);
  unknownFields(raw, COLLECTION_FIELDS, where);
  const name = checkName(raw.name, `${where}.name`);
  if (!isObject(raw.config))
    throw new ManifestError(`${where}.config must be an object (the collection's config).`);
  if (!Array.isArray(raw.aliases))
    throw new ManifestError(`${where}.aliases must be an array of alias names.`);
  const aliases = raw.aliases.map((alias, i) => checkName(alias, `${where}.aliases[${i}]`));
  if (raw.level !== 'collection' && raw.level !== 'shard')
    throw new ManifestError(`${where}.level must be "collection" or "shard".`);
  const level = raw.level;
  if (!Array.isArray(raw.files) || raw.files.length === 0)
    throw new ManifestError(`${where}.files must be a non-empty array.`);
  if (level === 'collection' && raw.files.length !== 1)
    throw new ManifestError(`${where}.files must hold exactly one file in a collection-level backup.`);
  const files = raw.files.map((file, i) => parseFile(file, `${where}.files[${i}]`, level));
  const points = nonNegativeInteger(raw.points, `${where}.points`);
  const sum = files.reduce((total, f) => total + f.points, 0);
  if (sum !== points) {
    throw new ManifestError(
      `${where}: its files hold ${sum} points but the collection records ${points}. The manifest was altered; use an untouched backup.`,
    );
  }
  if (typeof raw.written_during_backup !== 'boolean')
    throw new ManifestError(`${where}.written_during_backup must be true or false.`);
  return {
    name,
    points,
    aliases,
    config: raw.config,
    payload_schema: nullableObject(raw.payload_schema, `${where}.payload_schema`),
    sharding: parseSharding(raw.sharding, `${where}.sharding`),
    level,
    files,
    fingerprint: nullableObject(raw.fingerprint, `${where}.fingerprint`),
    written_during_backup: raw.written_during_backup,
  };
}

/** A version 1 entry (one collection snapshot, config.params only), read as version 2. */
function parseCollectionV1(raw: unknown, index: number, encrypted: boolean): ManifestCollection {
  const where = `manifest.json collections[${index}]`;
  if (!isObject(raw)) throw new ManifestError(`${where} must be an object.`);
  unknownFields(raw, V1_COLLECTION_FIELDS, where);
  if (raw.encrypted !== encrypted) {
    throw new ManifestError(`${where}: encrypted does not agree with the manifest's encryption.`);
  }
  const { file, size, sha256: sha, snapshot_size, snapshot_sha256, points, config } = raw;
  if (!isObject(config))
    throw new ManifestError(`${where}.config must be an object (the collection's config.params).`);
  return parseCollection(
    {
      name: raw.name,
      points,
      aliases: raw.aliases,
      config: { params: config },
      payload_schema: null,
      sharding: shardingOf(config),
      level: 'collection',
      files: [{ file, size, sha256: sha, snapshot_size, snapshot_sha256, points }],
      fingerprint: null,
      written_during_backup: false,
    },
    index,
  );
}

/** Validates untrusted manifest text. Throws ManifestError (and nothing else) naming what is wrong. */
export function parseManifest(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(
      `manifest.json is not valid JSON (${(error as Error).message}); the backup is truncated or damaged. Use another backup.`,
    );
  }
  if (!isObject(raw)) throw new ManifestError('manifest.json must hold a JSON object.');
  if (raw.format !== MANIFEST_FORMAT) {
    throw new ManifestError(
      `manifest.json has format ${JSON.stringify(raw.format)}; expected "${MANIFEST_FORMAT}". This folder was not written by qdrant-snapshot-action.`,
    );
  }
  if (raw.version !== 1 && raw.version !== MANIFEST_VERSION) {
    throw new ManifestError(
      `manifest.json has version ${JSON.stringify(raw.version)}; this release reads versions 1 to ${MANIFEST_VERSION}. Use the qdrant-snapshot-action release that wrote the backup.`,
    );
  }
  unknownFields(raw, TOP_FIELDS, 'manifest.json');
  if (typeof raw.created_at !== 'string' || Number.isNaN(Date.parse(raw.created_at))) {
    throw new ManifestError('manifest.json created_at must be an ISO 8601 date.');
  }
  if (typeof raw.qdrant_version !== 'string' || !/^\d+\.\d+\.\d+/.test(raw.qdrant_version)) {
    throw new ManifestError(
      `manifest.json qdrant_version must be a version such as 1.19.0; got ${JSON.stringify(raw.qdrant_version)}.`,
    );
  }
  if (typeof raw.complete !== 'boolean')
    throw new ManifestError('manifest.json complete must be true or false.');
  if (raw.encryption !== null && raw.encryption !== ENCRYPTION_SCHEME) {
    throw new ManifestError(
      `manifest.json encryption ${JSON.stringify(raw.encryption)} is unknown; expected null or "${ENCRYPTION_SCHEME}".`,
    );
  }
  if (!Array.isArray(raw.collections)) throw new ManifestError('manifest.json collections must be an array.');
  if (!Array.isArray(raw.failed)) throw new ManifestError('manifest.json failed must be an array.');
  const encrypted = raw.encryption !== null;
  const collections =
    raw.version === 1
      ? raw.collections.map((entry, i) => parseCollectionV1(entry, i, encrypted))
      : raw.collections.map(parseCollection);
  const failed = raw.failed.map((entry, i) => {
    if (!isObject(entry) || typeof entry.error !== 'string') {
      throw new ManifestError(`manifest.json failed[${i}] must be {"name", "error"}.`);
    }
    return { name: checkName(entry.name, `manifest.json failed[${i}].name`), error: entry.error };
  });
  const names = collections.map((c) => c.name);
  const files = collections.flatMap((c) => c.files.map((f) => f.file));
  for (const [key, values] of [
    ['name', names],
    ['file', files],
  ] as const) {
    const seen = new Set<string>();
    for (const value of values) {
      if (seen.has(value)) {
        throw new ManifestError(
          `manifest.json lists the ${key} ${JSON.stringify(value)} twice; each must be unique.`,
        );
      }
      seen.add(value);
    }
  }
  let cluster: Manifest['cluster'] = null;
  if (raw.version !== 1 && raw.cluster !== null) {
    if (!isObject(raw.cluster)) throw new ManifestError('manifest.json cluster must be {"peers"} or null.');
    unknownFields(raw.cluster, ['peers'], 'manifest.json cluster');
    cluster = { peers: positiveInteger(raw.cluster.peers, 'manifest.json cluster.peers') };
  }
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    created_at: raw.created_at,
    qdrant_version: raw.qdrant_version,
    complete: raw.complete,
    encryption: raw.encryption,
    cluster,
    collections,
    failed,
  };
}

export async function readManifest(folder: string): Promise<Manifest> {
  const file = path.join(folder, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ManifestError(
      code === 'ENOENT'
        ? say`No manifest.json in ${folder}: this is not a backup made by qdrant-snapshot-action (or the download is incomplete). Point ${setting('path')} at the backup folder.`
        : `Cannot read ${file}: ${(error as Error).message}.`,
    );
  }
  return parseManifest(text);
}

/** Writes the manifest atomically: a reader never sees half of it. */
export async function writeManifest(folder: string, manifest: Manifest): Promise<string> {
  const file = path.join(folder, MANIFEST_FILE);
  await writeFile(`${file}.partial`, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(`${file}.partial`, file);
  return file;
}
