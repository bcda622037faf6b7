// Helpers for the cluster suites: clients, seeding and reading points over plain HTTP, and turning a
// shard-level backup result into what a version 2 manifest records of a collection.
import { QdrantClient } from '../../src/qdrant/client.js';
import { discoverCluster, type ClusterNodes } from '../../src/core/cluster/index.js';
import type { ShardBackupResult, ShardLevelCollection } from '../../src/core/cluster/index.js';
import { request } from '../helpers/http-json.js';

export const RETRY = { attempts: 3, baseDelayMs: 100, maxDelayMs: 400 };

export function client(url: string): QdrantClient {
  return new QdrantClient({ url, timeoutMs: 120_000, retry: RETRY });
}

export async function connect(url: string, nodes?: string[]): Promise<ClusterNodes> {
  return discoverCluster(client(url), { url, nodes, connect: client });
}

export async function call<T = unknown>(
  url: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<T> {
  const response = await request(method, `${url}${route}`, {
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status < 200 || response.status >= 300) {
    throw new Error(`${method} ${route} answered ${response.status}: ${response.text}`);
  }
  return (JSON.parse(response.text) as { result: T }).result;
}

/** Deterministic points: vector and payload follow from the id. */
export function point(id: number, extra: Record<string, unknown> = {}) {
  const vector = Array.from({ length: 8 }, (_, i) => Math.sin(id * 7.1 + i) + 1.5);
  return { id, vector, payload: { group: `g${id % 7}`, n: id, text: `point ${id}`, ...extra } };
}

export async function upsert(
  url: string,
  collection: string,
  ids: number[],
  shardKey?: string,
): Promise<void> {
  for (let i = 0; i < ids.length; i += 1000) {
    const points = ids.slice(i, i + 1000).map((id) => point(id));
    await call(url, 'PUT', `/collections/${collection}/points?wait=true`, {
      points,
      ...(shardKey === undefined ? {} : { shard_key: shardKey }),
    });
  }
}

export interface StoredPoint {
  id: number;
  vector: number[];
  payload: Record<string, unknown>;
}

export async function retrieve(url: string, collection: string, ids: number[]): Promise<StoredPoint[]> {
  const points = await call<StoredPoint[]>(url, 'POST', `/collections/${collection}/points`, {
    ids,
    with_vector: true,
    with_payload: true,
  });
  return points.sort((a, b) => a.id - b.id);
}

/** What a version 2 manifest records of a collection backed up shard by shard. */
export async function recorded(
  entry: QdrantClient,
  result: ShardBackupResult,
): Promise<ShardLevelCollection> {
  const info = await entry.collectionInfo(result.collection);
  return {
    name: result.collection,
    points: result.points,
    config: info.config as unknown as Record<string, unknown>,
    payload_schema: info.payload_schema as Record<string, unknown>,
    sharding: result.sharding,
    files: result.files,
  };
}
