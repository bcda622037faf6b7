import { readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ManifestError } from '../core/errors.js';
import { say, setting } from '../core/wording.js';
import { collectionNameProblem } from '../qdrant/names.js';
import { ENCRYPTION_SCHEME } from './crypto.js';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'qdrant-snapshot-manifest';
export const MANIFEST_VERSION = 1;

export interface ManifestCollection {
  name: string;
  /** Plain file name inside the backup folder. */
  file: string;
  /** Size and SHA-256 of the file as stored (encrypted when `encrypted`). */
  size: number;
  sha256: string;
  /** Exact point count of the snapshot. */
  points: number;
  /** The collection's `config.params`: vectors, sparse vectors, shards... */
  config: Record<string, unknown>;
  aliases: string[];
  encrypted: boolean;
  /** Size and SHA-256 of the snapshot as Qdrant made it; equal to size/sha256 unless encrypted. */
  snapshot_size: number;
  snapshot_sha256: string;
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
  encryption: typeof ENCRYPTION_SCHEME | null;
  collections: ManifestCollection[];
  failed: ManifestFailure[];
}

const TOP_FIELDS = [
  'format',
  'version',
  'created_at',
  'qdrant_version',
  'complete',
  'encryption',
  'collections',
  'failed',
];
const COLLECTION_FIELDS = [
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

function parseCollection(raw: unknown, index: number): ManifestCollection {
  const where = `manifest.json collections[${index}]`;
  if (!isObject(raw)) throw new ManifestError(`${where} must be an object.`);
  unknownFields(raw, COLLECTION_FIELDS, where);
  const name = checkName(raw.name, `${where}.name`);
  if (typeof raw.file !== 'string') throw new ManifestError(`${where}.file must be a string.`);
  checkPlainFileName(raw.file, `${where}.file`);
  if (!isObject(raw.config))
    throw new ManifestError(`${where}.config must be an object (the collection's config.params).`);
  if (!Array.isArray(raw.aliases))
    throw new ManifestError(`${where}.aliases must be an array of alias names.`);
  const aliases = raw.aliases.map((alias, i) => checkName(alias, `${where}.aliases[${i}]`));
  if (typeof raw.encrypted !== 'boolean')
    throw new ManifestError(`${where}.encrypted must be true or false.`);
  return {
    name,
    file: raw.file,
    size: nonNegativeInteger(raw.size, `${where}.size`),
    sha256: sha256(raw.sha256, `${where}.sha256`),
    points: nonNegativeInteger(raw.points, `${where}.points`),
    config: raw.config,
    aliases,
    encrypted: raw.encrypted,
    snapshot_size: nonNegativeInteger(raw.snapshot_size, `${where}.snapshot_size`),
    snapshot_sha256: sha256(raw.snapshot_sha256, `${where}.snapshot_sha256`),
  };
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
  if (raw.version !== MANIFEST_VERSION) {
    throw new ManifestError(
      `manifest.json has version ${JSON.stringify(raw.version)}; this release reads version ${MANIFEST_VERSION}. Use the qdrant-snapshot-action release that wrote the backup.`,
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
  const collections = raw.collections.map(parseCollection);
  const failed = raw.failed.map((entry, i) => {
    if (!isObject(entry) || typeof entry.error !== 'string') {
      throw new ManifestError(`manifest.json failed[${i}] must be {"name", "error"}.`);
    }
    return { name: checkName(entry.name, `manifest.json failed[${i}].name`), error: entry.error };
  });
  for (const key of ['name', 'file'] as const) {
    const seen = new Set<string>();
    for (const collection of collections) {
      if (seen.has(collection[key])) {
        throw new ManifestError(
          `manifest.json lists the ${key} ${JSON.stringify(collection[key])} twice; each must be unique.`,
        );
      }
      seen.add(collection[key]);
    }
  }
  for (const collection of collections) {
    if (collection.encrypted !== (raw.encryption === ENCRYPTION_SCHEME)) {
      throw new ManifestError(
        `manifest.json collection ${collection.name}: encrypted does not agree with the manifest's encryption.`,
      );
    }
  }
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    created_at: raw.created_at,
    qdrant_version: raw.qdrant_version,
    complete: raw.complete,
    encryption: raw.encryption,
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
