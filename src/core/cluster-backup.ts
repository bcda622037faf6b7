import { encryptStream } from '../backup-format/crypto.js';
import type { FileEncryption } from '../backup-format/encryption.js';
import { snapshotFileName } from '../backup-format/folder.js';
import type { QdrantClient } from '../qdrant/client.js';
import { backupCollectionShards, type ClusterNodes } from './cluster/index.js';
import type { Reporter } from './reporter.js';

export interface ShardLevelBackupOptions {
  /** Folder the shard files go to. */
  path: string;
  /** Shards in flight at a time, across the nodes. */
  concurrency: number;
  /** Set when the backup is encrypted: the recipients every file is encrypted to. */
  encryption?: FileEncryption;
  /** File names already used in this backup (shared by all collections). */
  taken: Set<string>;
  /** `.snapshot`, or `.snapshot.age` when encrypted. */
  extension: string;
}

/**
 * One collection of a cluster backed up shard by shard (manifest level 'shard'): each shard from a node
 * holding an Active replica, the points of the shards adding up to the exact count, or an error naming the
 * missing shards and peers (core/cluster/shard-backup.ts). Returns the manifest entry without aliases.
 */
export async function backupCollectionByShards(
  entry: QdrantClient,
  cluster: ClusterNodes,
  name: string,
  options: ShardLevelBackupOptions,
  reporter: Reporter,
) {
  const info = await entry.collectionInfo(name);
  const result = await backupCollectionShards({
    collection: name,
    cluster,
    dir: options.path,
    concurrency: options.concurrency,
    fileName: (shard) => snapshotFileName(`${name}.shard-${shard.id}`, options.taken, options.extension),
    transform: options.encryption ? encryptStream(options.encryption.recipients) : undefined,
    log: (line) => reporter.info(line),
  });
  if (result.writtenDuringBackup) {
    reporter.warning(
      `Collection ${name} was written to during the backup; the manifest records ${result.points} points, the sum of its shard snapshots, so a restore verifies against that.`,
    );
  }
  reporter.info(
    `${result.files.length} shard snapshot(s), ${result.points} points (the exact count), from ${new Set(result.files.map((f) => f.shard.peer_id)).size} node(s).`,
  );
  return {
    name,
    points: result.points,
    config: info.config as unknown as Record<string, unknown>,
    payload_schema: (info.payload_schema ?? {}) as Record<string, unknown>,
    sharding: result.sharding,
    level: 'shard' as const,
    files: result.files,
    fingerprint: null,
    written_during_backup: result.writtenDuringBackup,
  };
}
