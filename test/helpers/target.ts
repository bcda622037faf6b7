import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulator, type Emulator } from '../emulator/index.js';

/**
 * The Qdrant a test runs against: a real one when QDRANT_URL is set (the suite must pass unchanged
 * against it), else a fresh emulator. Tests that need fault injection use `emulator` and skip on a real
 * server.
 */
export interface Target {
  url: string;
  apiKey?: string;
  emulator?: Emulator;
  /** A prefix no other test (or user) uses: every collection a test makes starts with it. */
  prefix: string;
  call<T = unknown>(method: string, route: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export const REAL_QDRANT = Boolean(process.env.QDRANT_URL);

export async function startTarget(options: { version?: string; apiKey?: string } = {}): Promise<Target> {
  const prefix = `t${randomBytes(3).toString('hex')}_`;
  let emulator: Emulator | undefined;
  let url: string;
  let apiKey: string | undefined;
  if (REAL_QDRANT && !options.version) {
    url = process.env.QDRANT_URL!.replace(/\/+$/, '');
    apiKey = process.env.QDRANT_API_KEY || undefined;
  } else {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'emulator-'));
    emulator = await startEmulator({ dataDir, version: options.version, apiKey: options.apiKey });
    url = emulator.url;
    apiKey = options.apiKey;
  }
  const call = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(apiKey ? { 'api-key': apiKey } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return (JSON.parse(text) as { result: T }).result;
  };
  return {
    url,
    apiKey,
    emulator,
    prefix,
    call,
    async close() {
      if (emulator) return emulator.close();
      // On a real server, remove whatever this test made.
      const { collections } = await call<{ collections: { name: string }[] }>('GET', '/collections');
      for (const { name } of collections.filter((c) => c.name.startsWith(prefix))) {
        await call('DELETE', `/collections/${name}`).catch(() => {});
      }
    },
  };
}

const vector = (dim: number, seed: number) =>
  Array.from({ length: dim }, (_, i) => Number(Math.sin(seed * 7 + i).toFixed(4)));

/**
 * Three collections as the demo has them: plain dense vectors; named + sparse vectors with payloads;
 * one with an alias. Returns their names and exact point counts.
 */
export async function seedCollections(target: Target) {
  const names = {
    dense: `${target.prefix}dense`,
    hybrid: `${target.prefix}hybrid`,
    aliased: `${target.prefix}aliased`,
  };
  const alias = `${target.prefix}live`;
  await target.call('PUT', `/collections/${names.dense}`, { vectors: { size: 4, distance: 'Dot' } });
  await target.call('PUT', `/collections/${names.dense}/points?wait=true`, {
    points: Array.from({ length: 30 }, (_, i) => ({ id: i + 1, vector: vector(4, i) })),
  });
  await target.call('PUT', `/collections/${names.hybrid}`, {
    vectors: { title: { size: 3, distance: 'Dot' } },
    sparse_vectors: { keywords: {} },
  });
  await target.call('PUT', `/collections/${names.hybrid}/points?wait=true`, {
    points: Array.from({ length: 12 }, (_, i) => ({
      id: i + 100,
      vector: { title: vector(3, i), keywords: { indices: [i, i + 5], values: [0.5, 0.25] } },
      payload: { title: `doc ${i}`, tags: ['a', String(i)] },
    })),
  });
  await target.call('PUT', `/collections/${names.aliased}`, { vectors: { size: 2, distance: 'Euclid' } });
  await target.call('PUT', `/collections/${names.aliased}/points?wait=true`, {
    points: Array.from({ length: 5 }, (_, i) => ({ id: i + 1, vector: vector(2, i), payload: { n: i } })),
  });
  await target.call('POST', '/collections/aliases', {
    actions: [{ create_alias: { collection_name: names.aliased, alias_name: alias } }],
  });
  return {
    names,
    alias,
    points: { [names.dense]: 30, [names.hybrid]: 12, [names.aliased]: 5 } as Record<string, number>,
  };
}

/** Every point of a collection (ids, vectors, payloads), for exact before/after comparisons. */
export async function allPoints(target: Target, collection: string) {
  const result = await target.call<{ points: unknown[] }>(
    'POST',
    `/collections/${collection}/points/scroll`,
    {
      limit: 10_000,
      with_payload: true,
      with_vector: true,
    },
  );
  return result.points;
}
