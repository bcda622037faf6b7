import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { snapshotFileName } from '../../backup-format/folder.js';
import type { DownloadOptions, DownloadResult, QdrantClient } from '../../qdrant/client.js';
import type { ShardKey } from '../../qdrant/types.js';
import { mapPool } from '../../util/pool.js';
import { describeError } from '../errors.js';
import { ClusterError, MissingShardsError } from './errors.js';
import {
  activePeers,
  describeReplicas,
  readLayout,
  type CollectionLayout,
  type ShardLayout,
} from './layout.js';
import type { ShardFileEntry, ShardingRecord } from './shard-files.js';
import type { ClusterNodes } from './topology.js';

/**
 * How a shard's snapshot leaves its node. 'create' (default): POST .../shards/{s}/snapshots, download
 * (checked against the checksum the server advertised), delete. 'stream': GET .../shards/{s}/snapshot,
 * written to no server disk, hashed on arrival only. Qdrant writes the stream through a 4 KiB in-memory pipe
 * from a blocking thread (shard_holder/mod.rs `stream_shard_snapshot`: `tokio::io::duplex(4096)`): on a
 * busy host a 33 MiB shard took 0.5 to 5.8 s streamed against 0.7 to 1.2 s created and downloaded
 * (bench/cluster.mjs), so streaming is for servers short of disk.
 */
export type ShardSnapshotMethod = 'stream' | 'create';

export interface ShardBackupOptions {
  collection: string;
  cluster: ClusterNodes;
  /** Folder the shard files are written to. */
  dir: string;
  /** Shards in flight at a time, across all nodes. */
  concurrency: number;
  method?: ShardSnapshotMethod;
  /** The file name of a shard's snapshot; default `<collection>.shard-<id>.snapshot`, made safe and unique. */
  fileName?: (shard: ShardLayout) => string;
  /** Between the wire and the disk (encryption). */
  transform?: DownloadOptions['transform'];
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** How long per-shard counts may take to settle (optimizations finishing) before the sum check fails. */
  settleMs?: number;
}

export interface ShardBackupResult {
  collection: string;
  layout: CollectionLayout;
  sharding: ShardingRecord;
  /** Exact count after the snapshots; equals the sum of `files[].points`. */
  points: number;
  files: ShardFileEntry[];
  /** The exact count changed between before and after the snapshots. */
  writtenDuringBackup: boolean;
  /** Per shard, where its point count came from. */
  counts: { shard: number; source: 'exact-by-key' | 'estimate-checked' }[];
}

interface Taken {
  shard: ShardLayout;
  peerId: number;
  file: string;
  download: DownloadResult;
}

/**
 * Backs up every shard of one collection of a cluster (or of a plain node) from a node that holds an Active
 * replica of it, `concurrency` shards at a time, SHA-256 computed while the bytes land. A shard whose Active
 * replicas all fail, or that has none, fails the collection with a message naming the shard, the peers and
 * why; the files already written for it are removed. The points of the shards must add up to the exact count.
 */
export async function backupCollectionShards(options: ShardBackupOptions): Promise<ShardBackupResult> {
  const { collection, cluster } = options;
  const entry = cluster.entry;
  const method = options.method ?? 'create';
  const log = options.log ?? (() => {});
  const layout = await readLayout(entry, collection);
  if (layout.shards.length === 0) {
    throw new ClusterError(
      `Collection ${collection} has no shards (a custom-sharded collection without shard keys?).`,
    );
  }
  const taken = new Set<string>();
  const fileName =
    options.fileName ??
    ((shard: ShardLayout) => snapshotFileName(`${collection}.shard-${shard.id}`, taken, '.snapshot'));
  const plan = planSources(layout, cluster);
  // With a node down the collection cannot be counted (500): the missing shards are the error to report.
  const before = await entry.exactCount(collection).catch((error: unknown) => error as Error);

  const written: string[] = [];
  const outcomes = await mapPool(plan, Math.max(1, options.concurrency), async ({ shard, candidates }) => {
    const failures: string[] = [];
    if (candidates.length === 0) {
      return { shard, error: noSourceReason(shard, cluster) };
    }
    const file = fileName(shard);
    const destination = path.join(options.dir, file);
    for (const peerId of candidates) {
      const client = cluster.client(peerId)!;
      try {
        const started = Date.now();
        const download = await snapshotShard(client, collection, shard.id, destination, method, options);
        written.push(destination);
        log(
          `${collection} shard ${shard.id}${shard.key === null ? '' : ` (key ${JSON.stringify(shard.key)})`}: ${download.size} bytes from ${cluster.describe(peerId)} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        return { shard, taken: { shard, peerId, file, download } satisfies Taken };
      } catch (error) {
        failures.push(`${cluster.describe(peerId)} failed: ${describeError(error)}`);
      }
    }
    const others = shard.replicas.filter((replica) => !candidates.includes(replica.peerId));
    return {
      shard,
      error:
        `${candidates.length === 1 ? 'its only usable Active replica' : `all ${candidates.length} usable Active replicas`} failed: ${failures.join('; ')}` +
        (others.length > 0
          ? ` (other replicas: ${others.map((r) => `peer ${r.peerId} ${r.state}`).join(', ')})`
          : ''),
    };
  });

  const missing = outcomes.filter((outcome) => 'error' in outcome && outcome.error !== undefined);
  if (missing.length > 0) {
    await Promise.all(written.map((file) => rm(file, { force: true })));
    throw new MissingShardsError(
      collection,
      missing.map((outcome) => ({ shard: outcome.shard.id, key: outcome.shard.key, reason: outcome.error! })),
      layout.shards.length,
    );
  }
  const takenShards = outcomes.map((outcome) => (outcome as { taken: Taken }).taken);
  try {
    if (before instanceof Error) throw before;
    const counted = await countShardPoints(
      collection,
      layout,
      takenShards,
      cluster,
      options.settleMs ?? 10_000,
    );
    const after = counted.exactTotal;
    const files: ShardFileEntry[] = takenShards.map(({ shard, peerId, file, download }) => ({
      file,
      size: download.storedSize,
      sha256: download.storedSha256,
      snapshot_size: download.size,
      snapshot_sha256: download.sha256,
      points: counted.perShard.get(shard.id)!,
      shard: {
        id: shard.id,
        key: shard.key,
        peer_id: peerId,
      },
    }));
    return {
      collection,
      layout,
      sharding: shardingRecord(layout),
      points: after,
      files,
      writtenDuringBackup: before !== after || counted.changed,
      counts: counted.sources,
    };
  } catch (error) {
    await Promise.all(written.map((file) => rm(file, { force: true })));
    throw error;
  }
}

export function shardingRecord(layout: CollectionLayout): ShardingRecord {
  return {
    method: layout.method,
    shard_number: layout.shardNumber,
    replication_factor: layout.replicationFactor,
    shard_keys: layout.method === 'custom' ? layout.shardKeys : [],
  };
}

/**
 * For each shard, the peers to try in order: Active replicas on reachable nodes, the least loaded first,
 * so that shards are spread over the nodes.
 */
function planSources(
  layout: CollectionLayout,
  cluster: ClusterNodes,
): { shard: ShardLayout; candidates: number[] }[] {
  const load = new Map<number, number>();
  return layout.shards.map((shard) => {
    const usable = activePeers(shard).filter((peerId) => cluster.unreachable(peerId) === undefined);
    usable.sort((a, b) => (load.get(a) ?? 0) - (load.get(b) ?? 0) || a - b);
    if (usable[0] !== undefined) load.set(usable[0], (load.get(usable[0]) ?? 0) + 1);
    return { shard, candidates: usable };
  });
}

function noSourceReason(shard: ShardLayout, cluster: ClusterNodes): string {
  const active = activePeers(shard);
  if (active.length === 0)
    return `no Active replica (${describeReplicas(shard)}); only an Active replica is a safe source.`;
  const why = active
    .map((peerId) => `${cluster.describe(peerId)}: ${cluster.unreachable(peerId)}`)
    .join('; ');
  return `its Active replicas are on peers that cannot be reached: ${why}.`;
}

async function snapshotShard(
  client: QdrantClient,
  collection: string,
  shard: number,
  destination: string,
  method: ShardSnapshotMethod,
  options: ShardBackupOptions,
): Promise<DownloadResult> {
  const download = { transform: options.transform, signal: options.signal };
  if (method === 'stream') return client.streamShardSnapshot(collection, shard, destination, download);
  const made = await client.createShardSnapshot(collection, shard, options.signal);
  try {
    return await client.downloadShardSnapshot(collection, shard, made.name, destination, {
      ...download,
      expectedSha256: made.checksum ?? undefined,
    });
  } finally {
    // Nothing is left on the node, whatever happened to the download.
    await client.deleteShardSnapshot(collection, shard, made.name).catch(() => {});
  }
}

interface Counted {
  perShard: Map<number, number>;
  exactTotal: number;
  changed: boolean;
  sources: ShardBackupResult['counts'];
}

/**
 * Points per shard. Qdrant has no exact count per shard id over REST: `GET /collections/{c}/cluster` gives
 * each local shard's count with `exact: false` (collection_ops.rs `cluster_info`), and a count request can
 * select a shard key but not a shard id. So: a shard key with one shard is counted exactly
 * (`POST .../points/count {exact: true, shard_key}`); any other shard takes the estimate of the node its
 * snapshot came from, and those estimates are accepted only when they add up to the exact count of the
 * collection (and of each shard key). Estimates differ from exact counts only while an optimization holds a
 * point in two segments: they are read again until they add up, or `settleMs` passes.
 */
async function countShardPoints(
  collection: string,
  layout: CollectionLayout,
  taken: Taken[],
  cluster: ClusterNodes,
  settleMs: number,
): Promise<Counted> {
  const entry = cluster.entry;
  const byKey = new Map<ShardKey, Taken[]>();
  for (const item of taken) {
    if (item.shard.key === null) continue;
    const list = byKey.get(item.shard.key) ?? [];
    list.push(item);
    byKey.set(item.shard.key, list);
  }
  const deadline = Date.now() + settleMs;
  let changed = false;
  let previousTotal: number | undefined;
  for (let round = 0; ; round++) {
    const perShard = new Map<number, number>();
    const sources: Counted['sources'] = [];
    const problems: string[] = [];
    const estimates = await readEstimates(collection, taken, cluster);
    const exactByKey = new Map<ShardKey, number>();
    for (const [key, items] of byKey) {
      const exact = await entry.exactCount(collection, { shardKey: key });
      exactByKey.set(key, exact);
      if (items.length === 1) {
        perShard.set(items[0]!.shard.id, exact);
        sources.push({ shard: items[0]!.shard.id, source: 'exact-by-key' });
      } else {
        const sum = items.reduce((total, item) => total + estimates.get(item.shard.id)!, 0);
        if (sum !== exact) {
          problems.push(
            `the shards of key ${JSON.stringify(key)} (${items.map((i) => i.shard.id).join(', ')}) hold ${sum} points by Qdrant's per-shard estimates, but it counts ${exact} exactly`,
          );
        }
      }
    }
    for (const item of taken) {
      if (perShard.has(item.shard.id)) continue;
      perShard.set(item.shard.id, estimates.get(item.shard.id)!);
      sources.push({ shard: item.shard.id, source: 'estimate-checked' });
    }
    const exactTotal = await entry.exactCount(collection);
    if (previousTotal !== undefined && previousTotal !== exactTotal) changed = true;
    previousTotal = exactTotal;
    const sum = [...perShard.values()].reduce((a, b) => a + b, 0);
    if (sum !== exactTotal) {
      problems.push(
        `the ${taken.length} shards hold ${sum} points, but the collection counts ${exactTotal} exactly`,
      );
    }
    if (problems.length === 0) {
      sources.sort((a, b) => a.shard - b.shard);
      return { perShard, exactTotal, changed, sources };
    }
    if (Date.now() >= deadline) {
      throw new ClusterError(
        `Collection ${collection}: the shard snapshots cannot be shown to hold every point: ${problems.join('; ')}` +
          (changed
            ? ' (the collection was being written to during the backup: back it up while writes are paused)'
            : '') +
          `. Layout: ${layout.shards.map((s) => `shard ${s.id}: ${describeReplicas(s)}`).join('; ')}.`,
      );
    }
    await sleep(Math.min(1000, 200 * (round + 1)));
  }
}

/** Each shard's estimated points, read on the node its snapshot came from. */
async function readEstimates(
  collection: string,
  taken: Taken[],
  cluster: ClusterNodes,
): Promise<Map<number, number>> {
  const peers = [...new Set(taken.map((item) => item.peerId))];
  const infos = new Map(
    await Promise.all(
      peers.map(
        async (peerId) => [peerId, await cluster.client(peerId)!.collectionClusterInfo(collection)] as const,
      ),
    ),
  );
  const estimates = new Map<number, number>();
  for (const item of taken) {
    const local = infos.get(item.peerId)!.local_shards.find((shard) => shard.shard_id === item.shard.id);
    if (!local) {
      throw new ClusterError(
        `Collection ${collection}: shard ${item.shard.id} is no longer on ${cluster.describe(item.peerId)}, where its snapshot was taken (a shard transfer during the backup?). Back up again.`,
      );
    }
    estimates.set(item.shard.id, local.points_count);
  }
  return estimates;
}
