// Cluster-aware backup and restore against real Qdrant clusters on 127.0.0.1 (issue 16, phase 1): a
// three-node source cluster with an auto-sharded collection (6 shards, replication factor 2), a
// custom-sharded one (3 shard keys) and a one-shard one, 20,000 points in all; restored into fresh
// clusters of three, two and one nodes and into a plain node.
import { createHash } from 'node:crypto';
import { readFile, readdir, mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backupCollectionShards,
  ClusterError,
  inactiveReplicas,
  MissingShardsError,
  readLayout,
  restoreCollectionShards,
  type ClusterNodes,
  type ShardBackupResult,
  type ShardLevelCollection,
} from '../../src/core/cluster/index.js';
import {
  QDRANT_BINARY,
  startQdrantCluster,
  startQdrantNode,
  type QdrantCluster,
  type QdrantNode,
} from '../helpers/qdrant-process.js';
import { call, client, connect, recorded, retrieve, upsert } from './helpers.js';

if (!QDRANT_BINARY) console.log('test/cluster: skipped, QDRANT_BINARY is not set (path of a qdrant binary).');

const AUTO = 'auto6';
const KEYED = 'keyed';
const SOLO = 'solo';
const KEYS = ['a', 'b', 'c'];
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
const AUTO_IDS = range(1, 12_000);
const KEY_IDS: Record<string, number[]> = {
  a: range(100_001, 2000),
  b: range(200_001, 2000),
  c: range(300_001, 2000),
};
const SOLO_IDS = range(1, 2000);
/** Snapshot files a node keeps for a collection, shard snapshots (under shards/<id>/) included. */
async function snapshotsLeft(node: QdrantNode, collection: string): Promise<string[]> {
  const entries = await readdir(path.join(node.snapshotsDir, collection), { recursive: true }).catch(
    () => [],
  );
  return entries.filter((name) => /\.snapshot(\.checksum)?$/.test(name));
}
/** 200 ids of each collection, spread over its whole id range. */
const sample = (ids: number[]) => ids.filter((_, i) => i % Math.ceil(ids.length / 200) === 0).slice(0, 200);

describe.skipIf(!QDRANT_BINARY)('cluster backup and restore on real Qdrant', () => {
  let source: QdrantCluster;
  /** The node the backup goes through: it holds no replica of the one-shard collection. */
  let entryNode: QdrantNode;
  let cluster: ClusterNodes;
  let dir: string;
  const backups = new Map<string, ShardBackupResult>();
  const manifests = new Map<string, ShardLevelCollection>();

  beforeAll(async () => {
    source = await startQdrantCluster({ nodes: 3 });
    const url = source.nodes[0]!.url;
    await call(url, 'PUT', `/collections/${AUTO}`, {
      vectors: { size: 8, distance: 'Cosine' },
      shard_number: 6,
      replication_factor: 2,
    });
    await call(url, 'PUT', `/collections/${KEYED}`, {
      vectors: { size: 8, distance: 'Dot' },
      sharding_method: 'custom',
      hnsw_config: { m: 12 },
    });
    for (const key of KEYS) await call(url, 'PUT', `/collections/${KEYED}/shards`, { shard_key: key });
    await call(url, 'PUT', `/collections/${SOLO}`, {
      vectors: { size: 8, distance: 'Euclid' },
      shard_number: 1,
    });
    await call(url, 'PUT', `/collections/${AUTO}/index?wait=true`, {
      field_name: 'group',
      field_schema: 'keyword',
    });
    await call(url, 'PUT', `/collections/${AUTO}/index?wait=true`, {
      field_name: 'n',
      field_schema: 'integer',
    });
    await call(url, 'PUT', `/collections/${KEYED}/index?wait=true`, {
      field_name: 'group',
      field_schema: 'keyword',
    });
    await upsert(url, AUTO, AUTO_IDS);
    for (const key of KEYS) await upsert(url, KEYED, KEY_IDS[key]!, key);
    await upsert(url, SOLO, SOLO_IDS);
    // Back up through a node that holds nothing of the one-shard collection.
    const soloLayout = await readLayout(client(url), SOLO);
    const soloHolder = soloLayout.shards[0]!.replicas[0]!.peerId;
    entryNode = source.nodes[source.peerIds.findIndex((peer) => peer !== soloHolder)]!;
    cluster = await connect(
      entryNode.url,
      source.nodes.map((node) => node.url),
    );
    dir = await mkdtemp(path.join(os.tmpdir(), 'cluster-backup-'));
  }, 180_000);

  afterAll(async () => {
    await cluster?.close();
    await cluster?.entry.close();
    await source?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('finds the three peers and each REST URL from `nodes`; derived URLs that all reach one node fail as a load balancer would', async () => {
    expect(cluster.distributed).toBe(true);
    expect(cluster.topology.nodes.map((n) => n.peerId).sort()).toEqual([...source.peerIds].sort());
    for (const [i, peerId] of source.peerIds.entries()) {
      expect(cluster.node(peerId)?.url).toBe(source.nodes[i]!.url);
    }
    expect(cluster.topology.unreachable).toEqual([]);
    // Without `nodes`, each peer's URL is derived from its URI: here every peer is 127.0.0.1, so every
    // derived URL reaches the entry node, which answers as another peer.
    await expect(connect(entryNode.url)).rejects.toThrow(
      /answered as peer \d+.*cannot be reached one by one.*'nodes'/s,
    );
    // A URL in `nodes` that does not answer is named.
    await expect(connect(entryNode.url, [entryNode.url, 'http://127.0.0.1:9'])).rejects.toThrow(
      /http:\/\/127\.0\.0\.1:9 in 'nodes' does not answer/,
    );
  });

  it('backs up every shard of each collection through one node: per-shard points add up to the exact counts', async () => {
    const expected: Record<string, number> = { [AUTO]: 12_000, [KEYED]: 6000, [SOLO]: 2000 };
    for (const collection of [AUTO, KEYED, SOLO]) {
      const result = await backupCollectionShards({ collection, cluster, dir, concurrency: 3 });
      backups.set(collection, result);
      manifests.set(collection, await recorded(cluster.entry, result));
      expect(result.points).toBe(expected[collection]);
      expect(result.files.reduce((sum, file) => sum + file.points, 0)).toBe(expected[collection]);
      for (const file of result.files) {
        const bytes = await readFile(path.join(dir, file.file));
        expect(bytes.length).toBe(file.size);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
        expect(file.snapshot_sha256).toBe(file.sha256);
        // The shard came from a peer holding an Active replica of it.
        const shard = result.layout.shards.find((s) => s.id === file.shard.id)!;
        expect(shard.replicas.some((r) => r.peerId === file.shard.peer_id && r.state === 'Active')).toBe(
          true,
        );
      }
    }
    const auto = backups.get(AUTO)!;
    expect(auto.files.map((f) => f.shard.id)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(auto.sharding).toEqual({ method: 'auto', shard_number: 6, replication_factor: 2, shard_keys: [] });
    // Spread over the nodes, not all from the entry node.
    expect(new Set(auto.files.map((f) => f.shard.peer_id)).size).toBeGreaterThan(1);
    const keyed = backups.get(KEYED)!;
    expect(keyed.sharding.method).toBe('custom');
    expect([...keyed.sharding.shard_keys].sort()).toEqual(KEYS);
    expect(keyed.files.map((f) => [f.shard.key, f.points]).sort()).toEqual(KEYS.map((k) => [k, 2000]));
    expect(keyed.counts.every((c) => c.source === 'exact-by-key')).toBe(true);
    // The one-shard collection, held by another node than the one asked: complete.
    const solo = backups.get(SOLO)!;
    expect(solo.files).toHaveLength(1);
    expect(solo.files[0]!.points).toBe(2000);
    expect(solo.files[0]!.shard.peer_id).not.toBe(cluster.topology.entryPeerId);
    // Created snapshots are deleted once downloaded: nothing is left on the nodes.
    for (const node of source.nodes)
      for (const c of [AUTO, KEYED, SOLO]) expect(await snapshotsLeft(node, c)).toEqual([]);
  }, 120_000);

  it('streamed shard snapshots give the same points and leave nothing on the nodes', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'cluster-stream-'));
    try {
      const result = await backupCollectionShards({
        collection: AUTO,
        cluster,
        dir: other,
        concurrency: 2,
        method: 'stream',
      });
      expect(result.files.map((f) => f.points)).toEqual(backups.get(AUTO)!.files.map((f) => f.points));
      for (const node of source.nodes) {
        expect(await snapshotsLeft(node, AUTO)).toEqual([]);
      }
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  }, 120_000);

  async function expectRestored(target: ClusterNodes, targetUrl: string, collections: string[]) {
    for (const collection of collections) {
      const manifest = manifests.get(collection)!;
      expect(await target.entry.exactCount(collection)).toBe(manifest.points);
      const ids =
        collection === AUTO
          ? sample(AUTO_IDS)
          : collection === SOLO
            ? sample(SOLO_IDS)
            : sample(KEYS.flatMap((k) => KEY_IDS[k]!));
      const restored = await retrieve(targetUrl, collection, ids);
      const original = await retrieve(entryNode.url, collection, ids);
      expect(restored).toHaveLength(ids.length);
      expect(restored).toEqual(original);
      const info = await target.entry.collectionInfo(collection);
      expect(Object.keys(info.payload_schema ?? {}).sort()).toEqual(
        Object.keys(manifest.payload_schema ?? {}).sort(),
      );
      expect(info.config.params.shard_number).toBe(manifest.sharding.shard_number);
      const layout = await readLayout(target.entry, collection);
      expect(inactiveReplicas(layout)).toEqual([]);
      expect(layout.shards).toHaveLength(manifest.files.length);
      if (collection === KEYED) {
        expect(info.config.hnsw_config.m).toBe(12);
        for (const key of KEYS)
          expect(await target.entry.exactCount(collection, { shardKey: key })).toBe(2000);
      }
    }
  }

  it('into a plain node: auto-sharded collections restored; the custom-sharded one refused, nothing created', async () => {
    const plain = await startQdrantNode();
    const target = await connect(plain.url);
    try {
      expect(target.distributed).toBe(false);
      for (const collection of [AUTO, SOLO]) {
        const result = await restoreCollectionShards({
          source: manifests.get(collection)!,
          cluster: target,
          snapshotPath: (file) => path.join(dir, file.file),
          concurrency: 2,
        });
        if (collection === AUTO) expect(result.warnings.join()).toMatch(/replication factor 2 lowered to 1/);
      }
      await expectRestored(target, plain.url, [AUTO, SOLO]);
      const refusal = restoreCollectionShards({
        source: manifests.get(KEYED)!,
        cluster: target,
        snapshotPath: (file) => path.join(dir, file.file),
        concurrency: 2,
      });
      await expect(refusal).rejects.toThrow(ClusterError);
      await expect(refusal).rejects.toThrow(
        /custom sharding.*Enable cluster mode.*QDRANT__CLUSTER__ENABLED=true.*Nothing was created/s,
      );
      expect(await target.entry.listCollections()).toEqual([AUTO, SOLO].sort());
    } finally {
      await target.close();
      await target.entry.close();
      await plain.stop();
    }
  }, 120_000);

  for (const size of [3, 2, 1]) {
    it(`into a fresh ${size}-node cluster${size === 2 ? ' (replicas by shard transfer)' : ''}: exact counts, same points, payload indexes, every replica Active`, async () => {
      const fresh = await startQdrantCluster({ nodes: size });
      const target = await connect(
        fresh.nodes[0]!.url,
        fresh.nodes.map((node) => node.url),
      );
      try {
        for (const collection of [AUTO, KEYED, SOLO]) {
          const result = await restoreCollectionShards({
            source: manifests.get(collection)!,
            cluster: target,
            snapshotPath: (file) => path.join(dir, file.file),
            concurrency: 3,
            // The 2-node target covers the other way of filling replicas: one upload, then shard transfer.
            replicas: size === 2 ? 'transfer' : 'upload',
            activeTimeoutMs: 60_000,
          });
          const replicated = result.uploads.map((u) => u.peerIds.length);
          expect(replicated.every((n) => n === (size === 2 ? 1 : result.replicationFactor))).toBe(true);
          expect(result.replicationFactor).toBe(
            Math.min(manifests.get(collection)!.sharding.replication_factor, size),
          );
          expect(result.warnings.length > 0).toBe(
            result.replicationFactor < manifests.get(collection)!.sharding.replication_factor,
          );
        }
        await expectRestored(target, fresh.nodes[0]!.url, [AUTO, KEYED, SOLO]);
        const autoLayout = await readLayout(target.entry, AUTO);
        expect(autoLayout.shards.every((s) => s.replicas.length === Math.min(2, size))).toBe(true);

        // A collection-level backup into a multi-node cluster is refused by the product (replicas on
        // other peers answered short for a while): test/cluster/action.test.ts asserts the refusal.
      } finally {
        await target.close();
        await target.entry.close();
        await fresh.stop();
      }
    }, 180_000);
  }

  it('one node stopped during a backup: the collection whose only Active replica was there fails naming the shard and the peer; the others complete', async () => {
    const url = entryNode.url;
    await call(url, 'PUT', '/collections/fragile', {
      vectors: { size: 8, distance: 'Cosine' },
      shard_number: 3,
      replication_factor: 1,
    });
    await upsert(url, 'fragile', range(1, 900));
    const layout = await readLayout(cluster.entry, 'fragile');
    const victimShard = layout.shards.find((s) => s.replicas[0]!.peerId !== cluster.topology.entryPeerId)!;
    const victimPeer = victimShard.replicas[0]!.peerId;
    const victim = source.nodes[source.peerIds.indexOf(victimPeer)]!;
    await victim.stop();
    const other = await mkdtemp(path.join(os.tmpdir(), 'cluster-stopped-'));
    try {
      const failure = await backupCollectionShards({
        collection: 'fragile',
        cluster,
        dir: other,
        concurrency: 3,
      }).catch((error: unknown) => error);
      if (!(failure instanceof MissingShardsError)) throw failure;
      const message = failure.message;
      console.log(`node stopped: ${message}`);
      expect(message).toContain(`Shard ${victimShard.id}:`);
      expect(message).toContain(`peer ${victimPeer} (${victim.url})`);
      expect(message).toMatch(/only usable Active replica failed/);
      // Nothing of the failed collection is kept.
      expect((await readdir(other)).filter((f) => f.startsWith('fragile'))).toEqual([]);
      // With replication factor 2, every shard still has an Active replica on a running node.
      const auto = await backupCollectionShards({ collection: AUTO, cluster, dir: other, concurrency: 3 });
      expect(auto.points).toBe(12_000);
      expect(auto.files.every((f) => f.shard.peer_id !== victimPeer)).toBe(true);
      for (const node of source.nodes.filter((n) => n !== victim))
        expect(await snapshotsLeft(node, 'fragile')).toEqual([]);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  }, 120_000);
});
