import { rmdir } from 'node:fs/promises';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ENCRYPTED_EXTENSION, encryptStream } from '../backup-format/crypto.js';
import { prepareEncryption, type FileEncryption } from '../backup-format/encryption.js';
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
import type { ClusterNodes } from './cluster/index.js';
import { backupCollectionByShards } from './cluster-backup.js';
import { discoverNodes, type NodeConnection } from './cluster-connect.js';
import { CancelledError, deleteLandedSnapshots, type SnapshotLedger } from './cancel.js';
import { ActionError, describeError } from './errors.js';
import {
  fingerprintCollection,
  sampleFingerprint,
  vectorNamesOf,
  type ContentFingerprint,
  type SampleFingerprint,
} from './fingerprint.js';
import { progressTicker } from './progress.js';
import type { Reporter } from './reporter.js';
import { selectNames } from './selection.js';
import { say, setting } from './wording.js';

export interface BackupOptions extends NodeConnection {
  collections: string[];
  exclude: string[];
  /** Folder the backup is written to; created if missing, refused if it already holds a backup. */
  path: string;
  concurrency: number;
  keepServerSnapshots: boolean;
  aliases: boolean;
  /** full: every point read before and after the snapshot; sample: the count and points drawn at random. */
  fingerprint: 'full' | 'sample';
  encryptionKey?: string;
  encryptionRecipients?: string[];
  /** Aborted on cancellation: the run stops, deletes the server snapshots it made, keeps what is done. */
  signal?: AbortSignal;
  /** Told of every server snapshot created and deleted (the action hands leftovers to its post step). */
  ledger?: SnapshotLedger;
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
  const aliases = options.aliases ? await client.aliases() : [];
  // In a cluster a collection snapshot holds only the asking node's shards: back up shard by shard.
  // Discovered before anything is written, so a cluster that cannot be reached node by node leaves nothing.
  const cluster = await discoverNodes(client, options, reporter);
  let encryption: FileEncryption | undefined;
  try {
    await prepareFolder(options.path);
    encryption = await prepareEncryption(options.path, options);
  } catch (error) {
    await cluster.close();
    throw error;
  }
  const taken = new Set<string>();
  const extension = `.snapshot${encryption ? ENCRYPTED_EXTENSION : ''}`;
  const files = cluster.distributed
    ? new Map<string, string>()
    : new Map(selected.map((name) => [name, snapshotFileName(name, taken, extension)]));

  reporter.info(
    `Backing up ${selected.length} collection(s) to ${options.path}, ${options.concurrency} at a time${cluster.distributed ? ', shard by shard' : ''}.`,
  );
  let outcomes: (CollectionBackup | { name: string; error: string })[];
  try {
    outcomes = await mapPool(selected, options.concurrency, async (name) => {
      try {
        return await reporter.collection(name, (scoped) =>
          cluster.distributed
            ? backupShardLevel(
                client,
                cluster,
                name,
                aliasesOf(aliases, name),
                taken,
                extension,
                options,
                encryption,
                scoped,
              )
            : backupCollection(
                client,
                name,
                files.get(name)!,
                aliasesOf(aliases, name),
                options,
                encryption,
                scoped,
              ),
        );
      } catch (error) {
        const message = describeError(error, reporter.wording);
        reporter.warning(`Collection ${name} was not backed up: ${message}`);
        return { name, error: message };
      }
    });
  } finally {
    await cluster.close();
  }
  const collections = outcomes.filter((o): o is CollectionBackup => !('error' in o));
  const failed = outcomes.filter((o): o is { name: string; error: string } => 'error' in o);
  await encryption?.ready;
  if (options.signal?.aborted)
    return cancelled(options.path, selected, collections, failed, version, encryption);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    created_at: new Date().toISOString(),
    qdrant_version: version,
    complete: failed.length === 0,
    encryption: encryption?.scheme ?? null,
    cluster: cluster.distributed ? { peers: cluster.size } : null,
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

/** Writes what was done as an incomplete backup (when anything was) and throws a CancelledError saying so. */
async function cancelled(
  folder: string,
  selected: string[],
  collections: CollectionBackup[],
  failed: { name: string; error: string }[],
  version: string,
  encryption: FileEncryption | undefined,
): Promise<never> {
  const done = collections.map((c) => c.name);
  const stopped = selected.filter((name) => !done.includes(name));
  let kept = `Nothing was kept: no collection had been backed up.`;
  if (collections.length > 0) {
    await writeManifest(folder, {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      created_at: new Date().toISOString(),
      qdrant_version: version,
      complete: false,
      encryption: encryption?.scheme ?? null,
      cluster: null,
      collections: collections.map(({ durationMs: _durationMs, ...entry }) => entry),
      failed: failed.map((f) => ({ name: f.name, error: 'cancelled' })),
    });
    kept = `Kept in ${folder} (manifest marked incomplete): ${done.join(', ')}.`;
  } else {
    await rmdir(folder).catch(() => {}); // only when empty
  }
  throw new CancelledError(
    `Cancelled: ${stopped.length} collection(s) not backed up (${stopped.join(', ')}); the server snapshots this run created were deleted and no partial file is left. ${kept}`,
    1,
  );
}

function aliasesOf(aliases: AliasDescription[], collection: string): string[] {
  return aliases
    .filter((alias) => alias.collection_name === collection)
    .map((alias) => alias.alias_name)
    .sort();
}

async function backupShardLevel(
  client: QdrantClient,
  cluster: ClusterNodes,
  name: string,
  aliases: string[],
  taken: Set<string>,
  extension: string,
  options: BackupOptions,
  encryption: FileEncryption | undefined,
  reporter: Reporter,
): Promise<CollectionBackup> {
  const started = Date.now();
  const entry = await backupCollectionByShards(
    client,
    cluster,
    name,
    { ...options, taken, extension, encryption },
    reporter,
  );
  return { ...entry, aliases, durationMs: Date.now() - started };
}

async function backupCollection(
  client: QdrantClient,
  name: string,
  file: string,
  aliases: string[],
  options: BackupOptions,
  encryption: FileEncryption | undefined,
  reporter: Reporter,
): Promise<CollectionBackup> {
  const started = Date.now();
  const info = await client.collectionInfo(name);
  // The content is fingerprinted before and after the snapshot: equal fingerprints mean the snapshot holds
  // exactly that content; different ones mean it was written to meanwhile, and no fingerprint is recorded.
  const { signal, ledger } = options;
  signal?.throwIfAborted();
  const countBefore = await client.exactCount(name);
  const vectors = vectorNamesOf(info.config.params as unknown as Record<string, unknown>);
  const fingerprint = (sameAs?: ContentFingerprint): Promise<ContentFingerprint> =>
    options.fingerprint === 'full'
      ? fingerprintCollection(client, name, { signal, vectors, points: countBefore })
      : sampleFingerprint(client, name, {
          signal,
          vectors,
          points: countBefore,
          sameAs: sameAs as SampleFingerprint | undefined,
        });
  const before = await fingerprint();
  const listed = new Set((await client.listSnapshots(name)).map((s) => s.name));
  let snapshot;
  ledger?.creating(name, [...listed]);
  try {
    snapshot = await client.createSnapshot(name, signal);
  } catch (error) {
    // Qdrant finishes a creation whose request was dropped: wait for it to land, then delete it. One that
    // has not landed by then stays in the ledger (the action's post step deletes it).
    if (!signal?.aborted) ledger?.settled(name);
    else {
      const landed = await deleteLandedSnapshots(client, name, listed).catch(() => []);
      for (const deleted of landed) {
        reporter.info(`Deleted server snapshot ${deleted} of ${name}, created after the cancellation.`);
      }
      if (landed.length > 0) ledger?.settled(name);
    }
    throw error;
  }
  ledger?.created(name, snapshot.name);
  ledger?.settled(name);
  const after = await fingerprint(before);
  const countAfter = await client.exactCount(name);
  const changed = !isDeepStrictEqual(before, after);
  const written = countBefore !== countAfter || changed;
  if (written) {
    reporter.warning(
      `Collection ${name} was written to during the backup (${countBefore} points before the snapshot, ${countAfter} after${changed ? '; the content changed' : ''}): the manifest records ${countAfter} points and no content fingerprint, so a restore can verify counts and config only. Back up again while nothing writes to it for a verifiable backup.`,
    );
  }
  reporter.info(`Snapshot ${snapshot.name} created (${snapshot.size} bytes); downloading.`);
  try {
    const destination = path.join(options.path, file);
    const download = () =>
      client.downloadSnapshot(name, snapshot.name, destination, {
        expectedSha256: snapshot.checksum ?? undefined,
        transform: encryption ? encryptStream(encryption.recipients) : undefined,
        onProgress: progressTicker(reporter, name, 'downloaded'),
        signal,
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
    if (listed.has(snapshot.name)) {
      // Qdrant names snapshots to the second: one made in the same second as an existing one takes its name,
      // and deleting "ours" would delete a snapshot this run did not make.
      reporter.warning(
        `Server snapshot ${snapshot.name} of ${name} already existed before this run (a snapshot made in the same second has the same name): it is left on the server.`,
      );
      ledger?.deleted(name, snapshot.name);
    } else if (!options.keepServerSnapshots || signal?.aborted) {
      await client.deleteSnapshot(name, snapshot.name).then(
        () => ledger?.deleted(name, snapshot.name),
        (error) => {
          reporter.warning(
            `Could not delete server snapshot ${snapshot.name} of ${name}: ${describeError(error, reporter.wording)}`,
          );
        },
      );
    } else {
      ledger?.deleted(name, snapshot.name); // kept on purpose: not the post step's to delete
    }
  }
}
