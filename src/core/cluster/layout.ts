import type { QdrantClient } from '../../qdrant/client.js';
import type { CollectionInfo, ReplicaState, ShardKey } from '../../qdrant/types.js';

export interface ShardReplica {
  peerId: number;
  state: ReplicaState;
}

export interface ShardLayout {
  id: number;
  /** Custom sharding: the shard key this shard belongs to; null for auto sharding. */
  key: ShardKey | null;
  replicas: ShardReplica[];
}

/** How a collection is sharded, and where every replica of every shard is (as the node asked sees it). */
export interface CollectionLayout {
  collection: string;
  method: 'auto' | 'custom';
  /** config.params.shard_number: shards in all (auto) or per shard key (custom, the default for new keys). */
  shardNumber: number;
  replicationFactor: number;
  /** Custom sharding only, in the order their first shard was created (ascending shard id). */
  shardKeys: ShardKey[];
  /** Sorted by id. */
  shards: ShardLayout[];
  /** Shard transfers in progress (replicas in them are not a stable source). */
  transfers: number;
  /** Set when GET /collections/{c} failed (a shard unreachable): sharding was inferred from the layout. */
  configError?: string;
}

/**
 * Reads a collection's shard layout through one node: its local shards and the replicas it knows on
 * other peers (GET /collections/{c}/cluster), and the sharding settings (GET /collections/{c}).
 */
export async function readLayout(
  client: QdrantClient,
  collection: string,
  info?: CollectionInfo,
): Promise<CollectionLayout> {
  const cluster = await client.collectionClusterInfo(collection);
  // GET /collections/{c} asks every shard for its info, so it fails (500 "1 of 1 read operations failed")
  // while a shard's only replica is down; the cluster info is local to the node asked and still answers.
  const details: CollectionInfo | Error =
    info ?? (await client.collectionInfo(collection).catch((error: unknown) => error as Error));
  const params = details instanceof Error ? undefined : details.config.params;
  const shards = new Map<number, ShardLayout>();
  const shardOf = (id: number, key: unknown): ShardLayout => {
    let shard = shards.get(id);
    if (!shard) {
      shard = { id, key: isShardKey(key) ? key : null, replicas: [] };
      shards.set(id, shard);
    }
    if (shard.key === null && isShardKey(key)) shard.key = key;
    return shard;
  };
  for (const local of cluster.local_shards) {
    shardOf(local.shard_id, local.shard_key).replicas.push({ peerId: cluster.peer_id, state: local.state });
  }
  for (const remote of cluster.remote_shards) {
    shardOf(remote.shard_id, remote.shard_key).replicas.push({ peerId: remote.peer_id, state: remote.state });
  }
  const sorted = [...shards.values()].sort((a, b) => a.id - b.id);
  for (const shard of sorted) shard.replicas.sort((a, b) => a.peerId - b.peerId);
  const custom = params ? params.sharding_method === 'custom' : sorted.some((shard) => shard.key !== null);
  const method = custom ? 'custom' : 'auto';
  const shardKeys: ShardKey[] = [];
  for (const shard of sorted) {
    if (shard.key !== null && !shardKeys.some((key) => key === shard.key)) shardKeys.push(shard.key);
  }
  return {
    collection,
    method,
    shardNumber: params ? (params.shard_number ?? 1) : custom ? 1 : cluster.shard_count,
    replicationFactor: params
      ? (params.replication_factor ?? 1)
      : Math.max(1, ...sorted.map((shard) => shard.replicas.length)),
    shardKeys,
    shards: sorted,
    transfers: cluster.shard_transfers?.length ?? 0,
    ...(details instanceof Error ? { configError: details.message } : {}),
  };
}

/** Peers holding an Active replica of the shard: the only safe source of its data. */
export function activePeers(shard: ShardLayout): number[] {
  return shard.replicas.filter((replica) => replica.state === 'Active').map((replica) => replica.peerId);
}

/** "peer 1 Active, peer 2 Dead" */
export function describeReplicas(shard: ShardLayout): string {
  if (shard.replicas.length === 0) return 'no replicas';
  return shard.replicas.map((replica) => `peer ${replica.peerId} ${replica.state}`).join(', ');
}

/** Replicas that are not Active, for messages and for waiting. */
export function inactiveReplicas(layout: CollectionLayout): { shard: ShardLayout; replica: ShardReplica }[] {
  return layout.shards.flatMap((shard) =>
    shard.replicas.filter((replica) => replica.state !== 'Active').map((replica) => ({ shard, replica })),
  );
}

function isShardKey(value: unknown): value is ShardKey {
  return typeof value === 'string' || typeof value === 'number';
}
