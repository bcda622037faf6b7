import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { request } from './http-json.js';
import { QDRANT_BINARY, startQdrantNode, type QdrantNode } from './qdrant-process.js';
import { VERSITYGW_BINARY, qdrantS3Env, startS3Gateway } from './s3-gateway.js';
import { noteTarget, type TargetKind } from './target-usage.js';

/**
 * The Qdrant a test runs against:
 * - QDRANT_URL set: that running server, shared by every test (each test works in collections of its own);
 * - else QDRANT_BINARY set: a real Qdrant node of its own, started from that binary for this target;
 * - else a fresh emulator.
 * Tests that inject faults ask for an emulator (`{ emulator: true }`): they run on it in every mode.
 */
export interface Target {
  kind: TargetKind;
  url: string;
  apiKey?: string;
  emulator?: Emulator;
  /** The real node this target started (QDRANT_BINARY). */
  node?: QdrantNode;
  /** A prefix no other test (or user) uses: every collection a test makes starts with it. */
  prefix: string;
  /**
   * Snapshot files the server keeps for a collection, when its folder is on this machine (emulator or a
   * node started here); undefined on a shared server.
   */
  snapshotFiles?: (collection: string) => string[];
  call<T = unknown>(method: string, route: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** One already running server for the whole run (QDRANT_URL): no fresh or keyed server per test. */
export const SHARED_QDRANT = Boolean(process.env.QDRANT_URL);
/** Tests run against a real Qdrant (QDRANT_URL or QDRANT_BINARY), where no fault can be injected. */
export const REAL_QDRANT = SHARED_QDRANT || Boolean(QDRANT_BINARY);

export interface TargetOptions {
  /** An emulator whatever the environment says: for tests that inject faults. */
  emulator?: boolean;
  /** Pretend to be this version: only the emulator can, so such a target is always an emulator. */
  version?: string;
  apiKey?: string;
  readOnlyKey?: string;
  /** Start a real node from this binary (e.g. QDRANT_BINARY_PREVIOUS), whatever the environment says. */
  binary?: string;
  /**
   * A server that keeps its snapshots in S3: a real node with a versitygw bucket when QDRANT_BINARY and
   * VERSITYGW_BINARY are set, else the emulator's S3 mode.
   */
  s3Snapshots?: boolean;
}

export async function startTarget(options: TargetOptions = {}): Promise<Target> {
  const prefix = `t${randomBytes(3).toString('hex')}_`;
  let emulator: Emulator | undefined;
  let url: string;
  let apiKey: string | undefined;
  let kind: TargetKind;
  if (options.binary) {
    return nodeTarget(await startQdrantNode(options), options.apiKey);
  }
  const real = !options.emulator && !options.version;
  if (options.s3Snapshots && QDRANT_BINARY && VERSITYGW_BINARY && real) {
    const gateway = await startS3Gateway();
    const node = await startQdrantNode({ ...options, env: qdrantS3Env(gateway) }).catch(async (error) => {
      await gateway.stop();
      throw error;
    });
    const target = nodeTarget(node, options.apiKey);
    return {
      ...target,
      snapshotFiles: undefined, // they are in the bucket
      async close() {
        await target.close();
        await gateway.stop();
      },
    };
  }
  if (SHARED_QDRANT && real && !options.s3Snapshots) {
    kind = 'shared-server';
    url = process.env.QDRANT_URL!.replace(/\/+$/, '');
    apiKey = process.env.QDRANT_API_KEY || undefined;
  } else if (QDRANT_BINARY && real && !options.s3Snapshots) {
    return nodeTarget(await startQdrantNode(options), options.apiKey);
  } else {
    kind = 'emulator';
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'emulator-'));
    emulator = await startEmulator({
      dataDir,
      version: options.version,
      apiKey: options.apiKey,
      readOnlyKey: options.readOnlyKey,
      snapshotStorage: options.s3Snapshots ? 's3' : 'local',
    });
    url = emulator.url;
    apiKey = options.apiKey;
  }
  noteTarget(kind);
  const call = targetCall(url, apiKey);
  return {
    kind,
    url,
    apiKey,
    emulator,
    prefix,
    snapshotFiles: emulator ? (collection) => emulator.snapshotFiles(collection) : undefined,
    call,
    async close() {
      if (emulator) return emulator.close();
      // On a shared server, remove whatever this test made.
      const { collections } = await call<{ collections: { name: string }[] }>('GET', '/collections');
      for (const { name } of collections.filter((c) => c.name.startsWith(prefix))) {
        await call('DELETE', `/collections/${name}`).catch(() => {});
      }
    },
  };
}

/** A real node started here as a target: close() stops the node (and checks its process is gone). */
export function nodeTarget(node: QdrantNode, apiKey?: string): Target {
  return {
    kind: 'real-node',
    url: node.url,
    apiKey,
    node,
    prefix: `t${randomBytes(3).toString('hex')}_`,
    snapshotFiles: (collection) => node.snapshotFiles(collection),
    call: targetCall(node.url, apiKey),
    async close() {
      await node.stop();
    },
  };
}

/** JSON calls to a Qdrant REST API: returns `result`, throws on any non-2xx answer. */
export function targetCall(url: string, apiKey?: string) {
  return async <T = unknown>(method: string, route: string, body?: unknown): Promise<T> => {
    const response = await request(method, `${url}${route}`, {
      headers: { 'content-type': 'application/json', ...(apiKey ? { 'api-key': apiKey } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status < 200 || response.status > 299)
      throw new Error(`${method} ${route}: ${response.status} ${response.text}`);
    return (JSON.parse(response.text) as { result: T }).result;
  };
}

/**
 * Records what a server holds now, to check later that nothing changed: on the emulator every request
 * that changes something; on a real server the collections, their exact counts, the aliases and the
 * snapshot files.
 */
export async function watchChanges(target: Target): Promise<{ changes(): Promise<string[]> }> {
  if (target.emulator) {
    const emulator = target.emulator;
    const start = emulator.requests.length;
    return {
      async changes() {
        return emulator.requests
          .slice(start)
          .filter((r) => r.method !== 'GET' && !/\/points\/(count|scroll)$/.test(r.path))
          .map((r) => `${r.method} ${r.path}`);
      },
    };
  }
  // A shared server also holds what other test files make at the same time: watch this test's names only.
  const mine = (name: string) => target.kind !== 'shared-server' || name.startsWith(target.prefix);
  const state = async () => {
    const lines: string[] = [];
    const { collections } = await target.call<{ collections: { name: string }[] }>('GET', '/collections');
    for (const { name } of collections.filter((c) => mine(c.name))) {
      const { count } = await target.call<{ count: number }>('POST', `/collections/${name}/points/count`, {
        exact: true,
      });
      lines.push(`collection ${name}: ${count} points; snapshots ${target.snapshotFiles?.(name).join(',')}`);
    }
    const { aliases } = await target.call<{ aliases: { alias_name: string; collection_name: string }[] }>(
      'GET',
      '/aliases',
    );
    for (const a of aliases.filter((a) => mine(a.alias_name) || mine(a.collection_name)))
      lines.push(`alias ${a.alias_name} -> ${a.collection_name}`);
    return lines.sort();
  };
  const before = await state();
  return {
    async changes() {
      const after = await state();
      return [
        ...before.filter((line) => !after.includes(line)).map((line) => `- ${line}`),
        ...after.filter((line) => !before.includes(line)).map((line) => `+ ${line}`),
      ];
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
