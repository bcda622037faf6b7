import { plaintextFile, type Decryption } from '../backup-format/crypto.js';
import type { ManifestCollection } from '../backup-format/manifest.js';
import {
  ClusterError,
  restoreCollectionShards,
  shardFiles,
  waitAllActive,
  type ClusterNodes,
} from './cluster/index.js';
import type { Reporter } from './reporter.js';
import type { IfExists } from './settings.js';
import { say, setting, settingValue } from './wording.js';

/** How long the replicas of a restored collection may take to turn Active (shard transfers). */
const ACTIVE_TIMEOUT_MS = 300_000;

/**
 * Restores a collection backed up shard by shard (manifest level 'shard') as a new collection: created from
 * the recorded config, shard keys and payload indexes, each shard uploaded to a node holding it, every
 * replica Active, exact counts checked (core/cluster/shard-restore.ts). Custom sharding into a node with
 * distributed mode off is refused before anything is created. An existing collection is never merged into.
 */
export async function restoreShardLevel(
  cluster: ClusterNodes,
  entry: ManifestCollection,
  target: string,
  exists: boolean,
  options: { path: string; ifExists: IfExists; concurrency: number },
  decryption: Decryption | undefined,
  reporter: Reporter,
): Promise<void> {
  const files = shardFiles(entry);
  if (!files) {
    throw new ClusterError(
      `${entry.name} is marked as backed up shard by shard, but a file of it names no shard: the manifest was altered or not written by this tool.`,
    );
  }
  if (exists) {
    // Uploading shard snapshots into a live collection would mix its points with the backup's, and its
    // shard layout may differ: a shard-level restore only ever creates the collection.
    throw new ClusterError(
      say`Collection ${target} exists; ${entry.name} was backed up shard by shard, and such a backup is restored only into a new collection (it creates the collection with the recorded shards and shard keys), so ${settingValue('if-exists', options.ifExists)} does not apply to it. Restore it under another name with ${setting('rename')}, or delete the collection first.`,
    );
  }
  reporter.info(
    `Restoring ${files.length} shard snapshot(s), ${entry.points} points, ${entry.sharding.method === 'custom' ? `shard keys ${entry.sharding.shard_keys.map((k) => JSON.stringify(k)).join(', ')}` : `${entry.sharding.shard_number} shard(s)`}, into ${cluster.distributed ? `a cluster of ${cluster.size} node(s)` : 'a single node'}.`,
  );
  const plaintext: (() => Promise<void>)[] = [];
  try {
    const result = await restoreCollectionShards({
      source: { ...entry, files },
      target,
      cluster,
      concurrency: options.concurrency,
      activeTimeoutMs: ACTIVE_TIMEOUT_MS,
      snapshotPath: async (file) => {
        const plain = await plaintextFile(options.path, file, decryption);
        plaintext.push(plain.discard);
        return plain.path;
      },
      log: (line) => reporter.info(line),
    });
    for (const warning of result.warnings) reporter.warning(warning);
  } finally {
    await Promise.all(plaintext.map((discard) => discard()));
  }
}

/**
 * A collection snapshot uploaded to one node of a multi-node cluster: Qdrant places the new collection's
 * shards itself, and on 1.19.0 a replica placed on another peer was seen missing points after every replica
 * was Active (test/cluster/cluster.test.ts). Refused before anything is created, with a way that works.
 */
export function refuseCollectionLevelIntoCluster(cluster: ClusterNodes, entry: ManifestCollection): void {
  if (!cluster.distributed || cluster.size < 2) return;
  throw new ClusterError(
    `${entry.name} was backed up from a single node (one collection snapshot), and ${cluster.entry.url} is a cluster of ${cluster.size} nodes, where uploading a collection snapshot to one node does not reliably fill the replicas Qdrant places on the others. Nothing was created. Restore it into a one-node cluster (QDRANT__CLUSTER__ENABLED=true) or a plain node, back that up (shard by shard), and restore that backup into this cluster.`,
  );
}

/** After a collection snapshot is uploaded into a cluster, its other replicas recover by shard transfer. */
export async function settleReplicas(
  cluster: ClusterNodes,
  target: string,
  reporter: Reporter,
): Promise<void> {
  if (!cluster.distributed) return;
  await waitAllActive(target, cluster, ACTIVE_TIMEOUT_MS);
  reporter.info(`Every replica of ${target} is Active.`);
}
