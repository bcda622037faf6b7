import { setTimeout as sleep } from 'node:timers/promises';
import type { PayloadFieldSchema, ShardKey, SnapshotPriority } from '../../qdrant/types.js';
import { mapPool } from '../../util/pool.js';
import { describeError } from '../errors.js';
import { createCollectionBody } from './collection-config.js';
import { ClusterError } from './errors.js';
import { inactiveReplicas, readLayout, type CollectionLayout, type ShardLayout } from './layout.js';
import type { ShardFileEntry, ShardLevelCollection } from './shard-files.js';
import type { ClusterNodes } from './topology.js';

export interface ShardRestoreOptions {
  source: ShardLevelCollection;
  /** Name of the collection to create; default the recorded name. */
  target?: string;
  cluster: ClusterNodes;
  /** The plain (decrypted) snapshot file of a shard; its SHA-256 must be the entry's `snapshot_sha256`. */
  snapshotPath: (file: ShardFileEntry) => string | Promise<string>;
  concurrency: number;
  /**
   * How the replicas of a shard get its data. 'upload' (default): the file is uploaded to every replica
   * (priority no_sync), so no shard transfer is needed. 'transfer': to one replica (priority snapshot), the
   * others recover from it by shard transfer. Measured in bench/cluster.mjs.
   */
  replicas?: 'upload' | 'transfer';
  /** Deadline for every replica to turn Active after the uploads; default 120 s. */
  activeTimeoutMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface ShardKeyPlan {
  key: ShardKey;
  shardsNumber: number;
  /** Recorded shard ids of this key, ascending; restored shards are matched to them in this order. */
  recordedIds: number[];
}

export interface ShardRestorePlan {
  target: string;
  body: ReturnType<typeof createCollectionBody>;
  replicationFactor: number;
  /** Custom sharding: keys in the order they are created (the order of their recorded shard ids). */
  keys: ShardKeyPlan[];
  warnings: string[];
}

export interface ShardRestoreResult {
  collection: string;
  points: number;
  replicationFactor: number;
  /** Per recorded shard: the restored shard and the peers its file was uploaded to. */
  uploads: { recordedShard: number; shard: number; key: ShardKey | null; peerIds: number[] }[];
  warnings: string[];
}

/**
 * Decides how a shard-level backup of one collection goes into this cluster (or plain node), or refuses
 * before anything is created: custom sharding needs distributed mode; the replication factor is capped at
 * the node count (with a warning); a key with several shards must get back the same shard ids (Qdrant
 * routes points within a key by a hash ring built from the shard ids).
 */
export function planShardRestore(
  source: ShardLevelCollection,
  cluster: ClusterNodes,
  target = source.name,
): ShardRestorePlan {
  const { sharding, files } = source;
  const warnings: string[] = [];
  if (files.some((file) => !file.shard)) {
    throw new ClusterError(
      `Collection ${source.name}: the backup lists a file without its shard; it is not a shard-level backup.`,
    );
  }
  const nodes = cluster.distributed ? cluster.size : 1;
  const replicationFactor = Math.min(Math.max(1, sharding.replication_factor), nodes);
  if (replicationFactor < sharding.replication_factor) {
    warnings.push(
      `Collection ${target}: replication factor ${sharding.replication_factor} lowered to ${replicationFactor}, as the target has ${nodes} node${nodes === 1 ? '' : 's'}.`,
    );
  }
  const params = (source.config.params ?? {}) as Record<string, unknown>;
  const writeConsistency = Math.min(Number(params.write_consistency_factor ?? 1) || 1, replicationFactor);
  const body = createCollectionBody(source.config, {
    replication_factor: replicationFactor,
    write_consistency_factor: writeConsistency,
  });

  const keys: ShardKeyPlan[] = [];
  if (sharding.method === 'custom') {
    if (!cluster.distributed) {
      throw new ClusterError(
        `Collection ${source.name} uses custom sharding (shard keys ${sharding.shard_keys.map((k) => JSON.stringify(k)).join(', ')}), and ${cluster.entry.url} runs with distributed mode off, where Qdrant refuses to create shard keys ("Distributed mode disabled" in 1.18, "Qdrant is running in standalone mode" in 1.19). ` +
          'Enable cluster mode on the target: a one-node cluster (QDRANT__CLUSTER__ENABLED=true, started with --uri) accepts shard keys. Nothing was created.',
      );
    }
    const byKey = new Map<ShardKey, number[]>();
    for (const file of files) {
      if (file.shard.key === null) {
        throw new ClusterError(
          `Collection ${source.name}: shard ${file.shard.id} of a custom-sharded collection has no shard key in the backup.`,
        );
      }
      byKey.set(file.shard.key, [...(byKey.get(file.shard.key) ?? []), file.shard.id]);
    }
    for (const [key, ids] of byKey)
      keys.push({ key, shardsNumber: ids.length, recordedIds: ids.sort((a, b) => a - b) });
    keys.sort((a, b) => a.recordedIds[0]! - b.recordedIds[0]!);
    // A fresh custom collection numbers the shards of each new key from max shard id + 1 (sharding_keys.rs
    // `create_shard_key`), so creating the keys in recorded order gives 1, 2, ... Where a key has several
    // shards, its ids must come back the same or its points would be routed to the wrong shards.
    let next = 1;
    for (const plan of keys) {
      const predicted = Array.from({ length: plan.shardsNumber }, (_, i) => next + i);
      next += plan.shardsNumber;
      if (plan.shardsNumber > 1 && predicted.some((id, i) => id !== plan.recordedIds[i])) {
        throw new ClusterError(
          `Collection ${source.name}: shard key ${JSON.stringify(plan.key)} had shards ${plan.recordedIds.join(', ')}, but a new collection would give it ${predicted.join(', ')} (shard keys were deleted in the original), and Qdrant routes points within a key by shard id. This backup cannot be restored shard by shard; nothing was created.`,
        );
      }
    }
  } else {
    const ids = files.map((file) => file.shard.id).sort((a, b) => a - b);
    const expected = Array.from({ length: sharding.shard_number }, (_, i) => i);
    if (ids.length !== expected.length || ids.some((id, i) => id !== expected[i])) {
      throw new ClusterError(
        `Collection ${source.name}: the backup holds shards ${ids.join(', ')}, but shard_number is ${sharding.shard_number} (shards ${expected.join(', ')}). The backup is incomplete; nothing was created.`,
      );
    }
  }
  return { target, body, replicationFactor, keys, warnings };
}

/**
 * Restores a shard-level backup of one collection as a new collection: created from the recorded config
 * (same shard_number, sharding method and shard keys), payload indexes recreated, each shard's snapshot
 * uploaded to a node holding a replica of it, then waits until every replica is Active and checks the
 * exact counts (of the collection and of each shard key).
 */
export async function restoreCollectionShards(options: ShardRestoreOptions): Promise<ShardRestoreResult> {
  const { source, cluster } = options;
  const entry = cluster.entry;
  const log = options.log ?? (() => {});
  const plan = planShardRestore(source, cluster, options.target);
  const { target } = plan;
  if ((await entry.listCollections()).includes(target)) {
    throw new ClusterError(
      `Collection ${target} already exists at ${entry.url}: a shard-level restore creates the collection itself. Restore under another name, or delete it first.`,
    );
  }
  await entry.createCollection(target, plan.body);
  for (const key of plan.keys) {
    await entry.createShardKey(target, {
      shard_key: key.key,
      shards_number: key.shardsNumber,
      replication_factor: plan.replicationFactor,
    });
  }
  for (const [field, info] of Object.entries(source.payload_schema ?? {})) {
    await entry.createPayloadIndex(target, field, payloadIndexSchema(info));
  }

  log(
    `${target}: created with ${plan.keys.length > 0 ? `${plan.keys.length} shard keys` : `${String(plan.body.shard_number)} shards`}, replication factor ${plan.replicationFactor}`,
  );
  const layout = await waitForLayout(target, plan, cluster);
  const mapping = mapShards(source, layout, plan);
  const load = new Map<number, number>();
  const replicas = options.replicas ?? 'upload';
  const uploads = await mapPool(source.files, Math.max(1, options.concurrency), async (file) => {
    const shard = mapping.get(file.shard.id)!;
    const holders = shard.replicas
      .map((replica) => replica.peerId)
      .filter((peerId) => cluster.unreachable(peerId) === undefined)
      .sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0) || a - b);
    if (holders[0] !== undefined) load.set(holders[0], (load.get(holders[0]) ?? 0) + 1);
    const snapshot = await options.snapshotPath(file);
    const upload = async (peerId: number, priority: SnapshotPriority) => {
      const started = Date.now();
      await cluster.client(peerId)!.uploadShardSnapshot(target, shard.id, snapshot, {
        checksum: file.snapshot_sha256,
        priority,
        signal: options.signal,
      });
      log(
        `${target} shard ${shard.id}: uploaded to ${cluster.describe(peerId)} (priority ${priority}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    };
    const done: number[] = [];
    const failures: string[] = [];
    if (replicas === 'upload' && holders.length > 1) {
      // The same file into every replica, each activated without touching the others (priority no_sync,
      // common/snapshots.rs recover_shard_snapshot_impl): identical replicas, no shard transfers to wait for.
      for (const peerId of holders) {
        try {
          await upload(peerId, 'no_sync');
          done.push(peerId);
        } catch (error) {
          failures.push(`${cluster.describe(peerId)}: ${describeError(error)}`);
        }
      }
      if (done.length === holders.length) {
        return { recordedShard: file.shard.id, shard: shard.id, key: shard.key, peerIds: done };
      }
      if (done.length > 0) {
        // Some replicas missed it: make one that has it the source of truth; the others turn Dead and
        // recover from it by shard transfer.
        await upload(done[0]!, 'snapshot');
        return { recordedShard: file.shard.id, shard: shard.id, key: shard.key, peerIds: [done[0]!] };
      }
    } else {
      // One replica gets the file and becomes the source of truth (priority snapshot); the others turn
      // Dead or Partial and recover from it by shard transfer.
      for (const peerId of holders) {
        try {
          await upload(peerId, 'snapshot');
          return { recordedShard: file.shard.id, shard: shard.id, key: shard.key, peerIds: [peerId] };
        } catch (error) {
          failures.push(`${cluster.describe(peerId)}: ${describeError(error)}`);
        }
      }
    }
    throw new ClusterError(
      `Collection ${target}: the snapshot of shard ${file.shard.id} could not be uploaded to any node holding shard ${shard.id}: ${failures.join('; ') || 'no reachable replica'}. The collection was created and is incomplete.`,
    );
  });

  log(`${target}: every shard uploaded; waiting for every replica to be Active`);
  await waitAllActive(target, cluster, options.activeTimeoutMs ?? 120_000, options.signal);
  log(`${target}: every replica Active`);
  await checkCounts(target, source, cluster);
  return {
    collection: target,
    points: source.points,
    replicationFactor: plan.replicationFactor,
    uploads,
    warnings: plan.warnings,
  };
}

/** A payload_schema entry (`{data_type, params?, points}`) as the field_schema that recreates it. */
export function payloadIndexSchema(info: unknown): PayloadFieldSchema {
  const { data_type, params } = info as { data_type: PayloadFieldSchema; params?: PayloadFieldSchema | null };
  return params ?? data_type;
}

/** The new collection's layout once it lists every planned shard with its replicas. */
async function waitForLayout(
  target: string,
  plan: ShardRestorePlan,
  cluster: ClusterNodes,
): Promise<CollectionLayout> {
  const expected =
    plan.keys.length > 0
      ? plan.keys.reduce((n, k) => n + k.shardsNumber, 0)
      : Number(plan.body.shard_number ?? 1);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const layout = await readLayout(cluster.entry, target);
    if (layout.shards.length === expected && layout.shards.every((shard) => shard.replicas.length > 0))
      return layout;
    if (Date.now() > deadline) {
      throw new ClusterError(
        `Collection ${target} was created, but after 30 s it lists ${layout.shards.length} of ${expected} shards.`,
      );
    }
    await sleep(200);
  }
}

/** Recorded shard id -> restored shard: the same id (auto sharding), the same key and position (custom). */
function mapShards(
  source: ShardLevelCollection,
  layout: CollectionLayout,
  plan: ShardRestorePlan,
): Map<number, ShardLayout> {
  const mapping = new Map<number, ShardLayout>();
  if (plan.keys.length === 0) {
    for (const file of source.files)
      mapping.set(
        file.shard.id,
        layout.shards.find((s) => s.id === file.shard.id)!,
      );
    return mapping;
  }
  for (const key of plan.keys) {
    const restored = layout.shards.filter((shard) => shard.key === key.key).sort((a, b) => a.id - b.id);
    if (restored.length !== key.shardsNumber) {
      throw new ClusterError(
        `Collection ${plan.target}: shard key ${JSON.stringify(key.key)} got ${restored.length} shards, ${key.shardsNumber} expected.`,
      );
    }
    if (key.shardsNumber > 1 && restored.some((shard, i) => shard.id !== key.recordedIds[i])) {
      throw new ClusterError(
        `Collection ${plan.target}: shard key ${JSON.stringify(key.key)} got shards ${restored.map((s) => s.id).join(', ')} instead of ${key.recordedIds.join(', ')}; its points would be routed to the wrong shards. The collection was created and left empty.`,
      );
    }
    key.recordedIds.forEach((id, i) => mapping.set(id, restored[i]!));
  }
  return mapping;
}

/** Waits until every replica of every shard is Active and no transfer runs (replicas recover after an upload). */
export async function waitAllActive(
  collection: string,
  cluster: ClusterNodes,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<CollectionLayout> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const layout = await readLayout(cluster.entry, collection);
    const inactive = inactiveReplicas(layout);
    if (inactive.length === 0 && layout.transfers === 0) return layout;
    if (Date.now() > deadline) {
      throw new ClusterError(
        `Collection ${collection}: after ${Math.round(timeoutMs / 1000)} s, ${inactive.length} replicas are still not Active (${inactive
          .map(
            ({ shard, replica }) =>
              `shard ${shard.id} on ${cluster.describe(replica.peerId)}: ${replica.state}`,
          )
          .join('; ')}${layout.transfers ? `; ${layout.transfers} shard transfers running` : ''}).`,
      );
    }
    await sleep(250);
  }
}

async function checkCounts(
  target: string,
  source: ShardLevelCollection,
  cluster: ClusterNodes,
): Promise<void> {
  const exact = await cluster.entry.exactCount(target);
  const problems: string[] = [];
  if (exact !== source.points) problems.push(`${exact} points, ${source.points} in the backup`);
  if (source.sharding.method === 'custom') {
    const byKey = new Map<ShardKey, number>();
    for (const file of source.files)
      byKey.set(file.shard.key!, (byKey.get(file.shard.key!) ?? 0) + file.points);
    for (const [key, points] of byKey) {
      const counted = await cluster.entry.exactCount(target, { shardKey: key });
      if (counted !== points)
        problems.push(`shard key ${JSON.stringify(key)}: ${counted} points, ${points} in the backup`);
    }
  }
  if (problems.length > 0) {
    throw new ClusterError(
      `Collection ${target} was restored shard by shard but does not match the backup: ${problems.join('; ')}.`,
    );
  }
}
