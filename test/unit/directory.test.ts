import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManifestError } from '../../src/core/errors.js';
import { readManifest, writeManifest, type Manifest } from '../../src/backup-format/manifest.js';
import { listBackups, validateBackupFolder } from '../../src/backup-format/folder.js';

const content = Buffer.from('snapshot bytes');
const sha = createHash('sha256').update(content).digest('hex');

function manifest(createdAt: string): Manifest {
  return {
    format: 'qdrant-snapshot-manifest',
    version: 2,
    created_at: createdAt,
    qdrant_version: '1.19.0',
    complete: true,
    encryption: null,
    cluster: null,
    collections: [
      {
        name: 'a',
        points: 1,
        aliases: [],
        config: { params: {} },
        payload_schema: {},
        sharding: { method: 'auto', shard_number: 1, replication_factor: 1, shard_keys: [] },
        level: 'collection',
        files: [
          {
            file: 'a.snapshot',
            size: content.length,
            sha256: sha,
            snapshot_size: content.length,
            snapshot_sha256: sha,
            points: 1,
          },
        ],
        fingerprint: null,
        written_during_backup: false,
      },
    ],
    failed: [],
  };
}

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'backup-folder-'));
  await writeFile(path.join(folder, 'a.snapshot'), content);
  await writeManifest(folder, manifest('2026-11-24T00:00:00.000Z'));
});

describe('validateBackupFolder', () => {
  it('accepts an untouched folder', async () => {
    await expect(validateBackupFolder(folder, await readManifest(folder))).resolves.toBeUndefined();
  });

  it('refuses files the manifest does not list (a zip with extra files)', async () => {
    await writeFile(path.join(folder, 'payload.sh'), 'echo hi');
    await expect(validateBackupFolder(folder, await readManifest(folder))).rejects.toThrow(ManifestError);
    await expect(validateBackupFolder(folder, await readManifest(folder))).rejects.toThrow(
      /holds file\(s\) the manifest does not list: payload\.sh/,
    );
  });

  it('refuses a truncated file, naming both sizes', async () => {
    await writeFile(path.join(folder, 'a.snapshot'), content.subarray(0, 4));
    await expect(validateBackupFolder(folder, await readManifest(folder))).rejects.toThrow(
      `a.snapshot (collection a) has 4 bytes; the manifest records ${content.length}`,
    );
  });

  it('says what to do when there is no manifest', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'empty-'));
    await expect(readManifest(empty)).rejects.toThrow(
      /No manifest.json in .*Point 'path' at the backup folder/,
    );
  });
});

describe('listBackups', () => {
  it('lists backup folders newest first and reports broken ones', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'backups-'));
    for (const [name, date] of [
      ['old', '2026-01-01T00:00:00.000Z'],
      ['new', '2026-06-01T00:00:00.000Z'],
    ] as const) {
      await mkdir(path.join(root, name));
      await writeManifest(path.join(root, name), manifest(date));
    }
    await mkdir(path.join(root, 'broken'));
    await writeFile(path.join(root, 'broken', 'manifest.json'), '{');
    const listings = await listBackups(root);
    expect(listings.map((l) => path.basename(l.folder))).toEqual(['new', 'old', 'broken']);
    expect(listings[2]!.error).toContain('not valid JSON');
  });
});
