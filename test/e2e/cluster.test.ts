// A real three-node Qdrant cluster (QDRANT_BINARY): it forms, serves a sharded and replicated
// collection, and stops with no process left behind.
import { afterEach, describe, expect, it } from 'vitest';
import {
  QDRANT_BINARY,
  processExists,
  startQdrantCluster,
  type QdrantCluster,
} from '../helpers/qdrant-process.js';
import { targetCall } from '../helpers/target.js';

interface ClusterInfo {
  peer_id: number;
  peers: Record<string, { uri: string }>;
  raft_info: { leader: number | null };
}
interface CollectionCluster {
  peer_id: number;
  shard_count: number;
  local_shards: { shard_id: number; points_count: number; state: string }[];
  remote_shards: { shard_id: number; peer_id: number; state: string }[];
}

const SHARDS = 6;
const REPLICAS = 2;
const POINTS = 300;

let cluster: QdrantCluster | undefined;
afterEach(async () => {
  // A failed test still leaves no server behind.
  await cluster?.stop();
  cluster = undefined;
});

/** Polls until `check` returns a value (not undefined), or fails after `ms`. */
async function eventually<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} within ${ms / 1000} s${last ? `: ${String(last)}` : ''}`);
}

describe.skipIf(!QDRANT_BINARY)('a real three-node Qdrant cluster', () => {
  it('starts, serves a collection with 6 shards and replication factor 2, and stops with no process left', async () => {
    cluster = await startQdrantCluster({ nodes: 3 });
    const { nodes, peerIds } = cluster;
    const calls = nodes.map((node) => targetCall(node.url));
    expect(new Set(peerIds).size).toBe(3);

    // Every node knows every peer (by its p2p address) and the same raft leader.
    const infos = await Promise.all(calls.map((call) => call<ClusterInfo>('GET', '/cluster')));
    const p2p = nodes.map((node) => `http://127.0.0.1:${node.ports.p2p}/`).sort();
    for (const info of infos) {
      expect(
        Object.values(info.peers)
          .map((peer) => peer.uri)
          .sort(),
      ).toEqual(p2p);
      expect(info.raft_info.leader).toBe(infos[0]!.raft_info.leader);
      expect(peerIds).toContain(info.raft_info.leader);
    }

    await calls[0]!('PUT', '/collections/sharded', {
      vectors: { size: 4, distance: 'Dot' },
      shard_number: SHARDS,
      replication_factor: REPLICAS,
    });
    // Written through one node, the points land on the nodes that hold their shards.
    for (let first = 1; first <= POINTS; first += 100) {
      await calls[1]!('PUT', '/collections/sharded/points?wait=true', {
        points: Array.from({ length: 100 }, (_, i) => ({
          id: first + i,
          vector: [first + i, 1, 0.5, 0.25],
          payload: { n: first + i },
        })),
      });
    }

    // Every replica is Active on every node's view, each shard held by exactly two peers.
    const views = await eventually('all 12 replicas Active on every node', 30_000, async () => {
      const all = await Promise.all(
        calls.map((call) => call<CollectionCluster>('GET', '/collections/sharded/cluster')),
      );
      const replicas = all.map((view) => [...view.local_shards, ...view.remote_shards]);
      const active = replicas.every(
        (list) => list.length === SHARDS * REPLICAS && list.every((r) => r.state === 'Active'),
      );
      return active ? all : undefined;
    });
    const holders = new Map<number, number[]>();
    for (const view of views) {
      expect(view.shard_count).toBe(SHARDS);
      for (const shard of view.local_shards)
        holders.set(shard.shard_id, [...(holders.get(shard.shard_id) ?? []), shard.points_count]);
    }
    expect([...holders.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const counts of holders.values()) {
      expect(counts).toHaveLength(REPLICAS);
      expect(counts[0]).toBe(counts[1]);
    }
    // Each point is stored twice across the cluster, once per replica.
    const stored = [...holders.values()].reduce((sum, counts) => sum + counts[0]! + counts[1]!, 0);
    expect(stored).toBe(POINTS * REPLICAS);

    // Any node counts every point exactly, and serves every one of them.
    for (const call of calls) {
      expect(await call('POST', '/collections/sharded/points/count', { exact: true })).toEqual({
        count: POINTS,
      });
    }
    const page = await calls[2]!<{ points: { id: number; payload: { n: number } }[] }>(
      'POST',
      '/collections/sharded/points/scroll',
      { limit: POINTS + 10, with_payload: true },
    );
    expect(page.points.map((p) => p.id)).toEqual(Array.from({ length: POINTS }, (_, i) => i + 1));
    expect(page.points.every((p) => p.payload.n === p.id)).toBe(true);

    // Stops cleanly: every process answers SIGTERM, and no pid is left.
    const pids = nodes.map((node) => node.pid);
    const started = Date.now();
    const stopped = await cluster.stop();
    cluster = undefined;
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(stopped.map((s) => s.pid).sort()).toEqual([...pids].sort());
    for (const result of stopped) expect(result.how).toBe('stopped');
    for (const pid of pids) expect(processExists(pid)).toBe(false);
    for (const node of nodes) expect(node.running()).toBe(false);
  }, 90_000);
});
