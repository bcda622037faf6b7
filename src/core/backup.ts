import * as path from 'node:path';
import { ENCRYPTED_EXTENSION, ENCRYPTION_SCHEME, encryptStream } from '../backup-format/crypto.js';
import { prepareFolder, snapshotFileName } from '../backup-format/folder.js';
import {
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  shardingOf,
  storedBytes,
  writeManifest,
  type Manifest,
  type ManifestCollection,
} from '../backup-format/manifest.js';
import { ChecksumMismatchError, type QdrantClient } from '../qdrant/client.js';
import type { AliasDescription } from '../qdrant/types.js';
import { mapPool } from '../util/pool.js';
import { ActionError, describeError } from './errors.js';
import { fingerprintCollection } from './fingerprint.js';
import { progressTicker } from './progress.js';
import type { Reporter } from './reporter.js';
import { selectNames } from './selection.js';
import { say, setting } from './wording.js';

export interface BackupOptions {
  collections: string[];
  exclude: string[];
  /** Folder the backup is written to; created if missing, refused if it already holds a backup. */
  path: string;
  concurrency: number;
  keepServerSnapshots: boolean;
  aliases: boolean;
  encryptionKey?: string;
}

export interface CollectionBackup extends ManifestCollection {
  durationMs: number;
}

export interface BackupResult {
  qdrantVersion: string;
  path: string;
  manifestPath: string;
  manifest: Manifest;
  collections: CollectionBackup[];
  failed: { name: string; error: string }[];
  points: number;
  bytes: number;
}

/** Snapshots every selected collection into `options.path` and writes the manifest. */
export async function runBackup(
  client: QdrantClient,
  options: BackupOptions,
  reporter: Reporter,
): Promise<BackupResult> {
  const { version } = await client.version();
  reporter.info(`Qdrant ${version} at ${client.url}`);
  const available = await client.listCollections();
  if (available.length === 0) {
    throw new ActionError(
      say`No collections found at ${client.url}: there is nothing to back up. Check ${setting('url')} and ${setting('api-key')}.`,
    );
  }
  const selected = selectNames(available, options, `the server at ${client.url}`);
  await prepareFolder(options.path);
  const aliases = options.aliases ? await client.aliases() : [];
  const taken = new Set<string>();
  const extension = `.snapshot${options.encryptionKey ? ENCRYPTED_EXTENSION : ''}`;
  const files = new Map(selected.map((name) => [name, snapshotFileName(name, taken, extension)]));

  reporter.info(
    `Backing up ${selected.length} collection(s) to ${options.path}, ${options.concurrency} at a time.`,
  );
  const outcomes = await mapPool(selected, options.concurrency, async (name) => {
    try {
      return await reporter.group(`Back up ${name}`, (scoped) =>
        backupCollection(client, name, files.get(name)!, aliasesOf(aliases, name), options, scoped),
      );
    } catch (error) {
      const message = describeError(error, reporter.wording);
      reporter.warning(`Collection ${name} was not backed up: ${message}`);
      return { name, error: message };
    }
  });
  const collections = outcomes.filter((o): o is CollectionBackup => !('error' in o));
  const failed = outcomes.filter((o): o is { name: string; error: string } => 'error' in o);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    created_at: new Date().toISOString(),
    qdrant_version: version,
    complete: failed.length === 0,
    encryption: options.encryptionKey ? ENCRYPTION_SCHEME : null,
    cluster: null,
    collections: collections.map(({ durationMs: _durationMs, ...entry }) => entry),
    failed,
  };
  const manifestPath = await writeManifest(options.path, manifest);
  return {
    qdrantVersion: version,
    path: options.path,
    manifestPath,
    manifest,
    collections,
    failed,
    points: collections.reduce((sum, c) => sum + c.points, 0),
    bytes: collections.reduce((sum, c) => sum + storedBytes(c), 0),
  };
}

function aliasesOf(aliases: AliasDescription[], collection: string): string[] {
  return aliases
    .filter((alias) => alias.collection_name === collection)
    .map((alias) => alias.alias_name)
    .sort();
}

async function backupCollection(
  client: QdrantClient,
  name: string,
  file: string,
  aliases: string[],
  options: BackupOptions,
  reporter: Reporter,
): Promise<CollectionBackup> {
  const started = Date.now();
  const info = await client.collectionInfo(name);
  // The content is fingerprinted before and after the snapshot: equal fingerprints mean the snapshot holds
  // exactly that content; different ones mean it was written to meanwhile, and no fingerprint is recorded.
  const countBefore = await client.exactCount(name);
  const before = await fingerprintCollection(client, name);
  const snapshot = await client.createSnapshot(name);
  const after = await fingerprintCollection(client, name);
  const countAfter = await client.exactCount(name);
  const written =
    countBefore !== countAfter || before.digest !== after.digest || before.points !== after.points;
  if (written) {
    reporter.warning(
      `Collection ${name} was written to during the backup (${countBefore} points before the snapshot, ${countAfter} after${before.digest !== after.digest ? '; the content changed' : ''}): the manifest records ${countAfter} points and no content fingerprint, so a restore can verify counts and config only. Back up again while nothing writes to it for a verifiable backup.`,
    );
  }
  reporter.info(`Snapshot ${snapshot.name} created (${snapshot.size} bytes); downloading.`);
  try {
    const destination = path.join(options.path, file);
    const download = () =>
      client.downloadSnapshot(name, snapshot.name, destination, {
        expectedSha256: snapshot.checksum ?? undefined,
        transform: options.encryptionKey ? encryptStream(options.encryptionKey) : undefined,
        onProgress: progressTicker(reporter, name, 'downloaded'),
      });
    let result;
    try {
      result = await download();
    } catch (error) {
      if (!(error instanceof ChecksumMismatchError)) throw error;
      reporter.warning(`${error.message} Downloading once more.`);
      result = await download();
    }
    if (!snapshot.checksum) {
      reporter.warning(
        `Qdrant reported no checksum for ${snapshot.name}; the manifest records the SHA-256 computed here.`,
      );
    }
    const config = info.config as unknown as Record<string, unknown>;
    return {
      name,
      points: countAfter,
      aliases,
      config,
      payload_schema: (info.payload_schema ?? {}) as Record<string, unknown>,
      sharding: shardingOf(info.config.params as unknown as Record<string, unknown>),
      level: 'collection',
      files: [
        {
          file,
          size: result.storedSize,
          sha256: result.storedSha256,
          snapshot_size: result.size,
          snapshot_sha256: result.sha256,
          points: countAfter,
        },
      ],
      fingerprint: written ? null : (after as unknown as Record<string, unknown>),
      written_during_backup: written,
      durationMs: Date.now() - started,
    };
  } finally {
    if (!options.keepServerSnapshots) {
      await client.deleteSnapshot(name, snapshot.name).catch((error) => {
        reporter.warning(
          `Could not delete server snapshot ${snapshot.name} of ${name}: ${describeError(error, reporter.wording)}`,
        );
      });
    }
  }
}
