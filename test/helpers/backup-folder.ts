// Backup folders as the backup step leaves them (snapshot files + manifest.json), with random content.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import {
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  writeManifest,
  type Manifest,
} from '../../src/backup-format/manifest.js';

export interface FixtureCollection {
  name: string;
  bytes: number;
}

/** Writes `root/name/` holding one random snapshot file per collection and a valid manifest.json. */
export async function makeBackupFolder(
  root: string,
  name: string,
  collections: FixtureCollection[],
  createdAt = new Date(),
): Promise<{ folder: string; manifest: Manifest }> {
  const folder = path.join(root, name);
  await mkdir(folder, { recursive: true });
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    created_at: createdAt.toISOString(),
    qdrant_version: '1.19.0',
    complete: true,
    encryption: null,
    cluster: null,
    collections: [],
    failed: [],
  };
  for (const collection of collections) {
    const file = `${collection.name}.snapshot`;
    const data = randomBytes(collection.bytes);
    await writeFile(path.join(folder, file), data);
    const sha256 = createHash('sha256').update(data).digest('hex');
    manifest.collections.push({
      name: collection.name,
      points: 10,
      aliases: [],
      config: { params: { vectors: { size: 4, distance: 'Cosine' } } },
      payload_schema: {},
      sharding: { method: 'auto', shard_number: 1, replication_factor: 1, shard_keys: [] },
      level: 'collection',
      files: [
        { file, size: data.length, sha256, snapshot_size: data.length, snapshot_sha256: sha256, points: 10 },
      ],
      fingerprint: null,
      written_during_backup: false,
    });
  }
  await writeManifest(folder, manifest);
  return { folder, manifest };
}
