// Where the emulator once differed from Qdrant, the same assertions run against both: the emulator and,
// when QDRANT_BINARY is set, a real node (with VERSITYGW_BINARY also one that keeps its snapshots in
// S3). What they pin is what the real server does (Qdrant 1.19).
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QDRANT_BINARY, startQdrantNode } from '../helpers/qdrant-process.js';
import { VERSITYGW_BINARY, qdrantS3Env, startS3Gateway, type S3Gateway } from '../helpers/s3-gateway.js';
import { noteTarget } from '../helpers/target-usage.js';
import { call, download, uploadFile } from './helpers.js';
import { startEmulator } from './index.js';

interface Server {
  url: string;
  snapshotFiles(collection: string): string[];
  close(): Promise<void>;
}
interface Kind {
  name: string;
  start(options?: { s3?: boolean }): Promise<Server>;
}

const emulator: Kind = {
  name: 'emulator',
  async start(options = {}) {
    noteTarget('emulator');
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'fidelity-'));
    const emu = await startEmulator({ dataDir, snapshotStorage: options.s3 ? 's3' : 'local' });
    return {
      url: emu.url,
      snapshotFiles: (collection) => emu.snapshotFiles(collection),
      async close() {
        await emu.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
};

const realNode: Kind = {
  name: 'real Qdrant',
  async start(options = {}) {
    let gateway: S3Gateway | undefined;
    if (options.s3) gateway = await startS3Gateway();
    const node = await startQdrantNode({ env: gateway ? qdrantS3Env(gateway) : {} });
    return {
      url: node.url,
      snapshotFiles: (collection) => node.snapshotFiles(collection),
      async close() {
        await node.stop();
        await gateway?.stop();
      },
    };
  },
};

const KINDS = QDRANT_BINARY ? [emulator, realNode] : [emulator];

let server: Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function json(method: string, route: string, body?: unknown) {
  const res = await call(server!.url, method, route, { body });
  return res;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked by the assertions
async function ok<T = any>(method: string, route: string, body?: unknown): Promise<T> {
  const res = await json(method, route, body);
  expect(res.status, `${method} ${route}: ${res.text}`).toBe(200);
  return res.json.result as T;
}
const count = async (collection: string) =>
  (await ok<{ count: number }>('POST', `/collections/${collection}/points/count`, { exact: true })).count;
const ids = async (collection: string) =>
  (
    await ok<{ points: { id: number }[] }>('POST', `/collections/${collection}/points/scroll`, { limit: 100 })
  ).points.map((p) => p.id);

/** A collection `name` with points 1..n (payload title and n), snapshotted and downloaded to a file. */
async function snapshotOf(name: string, n: number, dir: string, indexes = false) {
  await ok('PUT', `/collections/${name}`, { vectors: { size: 2, distance: 'Dot' } });
  await ok('PUT', `/collections/${name}/points?wait=true`, {
    points: Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      vector: [i + 1, 1],
      payload: { title: `t${i + 1}`, n: i + 1 },
    })),
  });
  if (indexes) {
    await ok('PUT', `/collections/${name}/index?wait=true`, { field_name: 'title', field_schema: 'keyword' });
    await ok('PUT', `/collections/${name}/index?wait=true`, {
      field_name: 'n',
      field_schema: { type: 'integer', lookup: false, range: true },
    });
  }
  const made = await ok<{ name: string; checksum?: string }>(
    'POST',
    `/collections/${name}/snapshots?wait=true`,
  );
  const file = path.join(dir, `${name}.snapshot`);
  const got = await download(`${server!.url}/collections/${name}/snapshots/${made.name}`, file);
  expect(got.status).toBe(200);
  return { file, made, got };
}

const tempDir = () => mkdtemp(path.join(os.tmpdir(), 'fidelity-files-'));

describe.each(KINDS)('$name', (kind) => {
  it('GET /cluster says disabled; GET /collections/{c}/cluster lists every local shard with its points', async () => {
    server = await kind.start();
    expect(await ok('GET', '/cluster')).toEqual({ status: 'disabled' });
    const dir = await tempDir();
    await snapshotOf('one', 7, dir);
    const one = await ok('GET', '/collections/one/cluster');
    expect(one).toEqual({
      peer_id: expect.any(Number),
      shard_count: 1,
      local_shards: [{ shard_id: 0, points_count: 7, state: 'Active' }],
      remote_shards: [],
      shard_transfers: [],
    });
    await ok('PUT', '/collections/three', { vectors: { size: 2, distance: 'Dot' }, shard_number: 3 });
    await ok('PUT', '/collections/three/points?wait=true', {
      points: Array.from({ length: 60 }, (_, i) => ({ id: i + 1, vector: [i, 1] })),
    });
    const three = await ok<{
      shard_count: number;
      local_shards: { shard_id: number; points_count: number }[];
    }>('GET', '/collections/three/cluster');
    expect(three.shard_count).toBe(3);
    expect(three.local_shards.map((s) => s.shard_id).sort()).toEqual([0, 1, 2]);
    expect(three.local_shards.reduce((sum, s) => sum + s.points_count, 0)).toBe(60);
    expect((await json('GET', '/collections/ghost/cluster')).status).toBe(404);
  });

  it('an upload without priority restores every point into a new collection, and the file stays', async () => {
    server = await kind.start();
    const dir = await tempDir();
    const { file } = await snapshotOf('source', 5, dir);
    const up = await uploadFile(`${server.url}/collections/copy/snapshots/upload`, file, {
      filename: 'restore-upload.snapshot',
    });
    expect(up.status, up.text).toBe(200);
    expect(await count('copy')).toBe(5);
    // qdrant/qdrant#10207: the uploaded file is kept in the collection's snapshot folder.
    expect(server.snapshotFiles('copy')).toEqual(['restore-upload.snapshot']);
  });

  it('two snapshots of a collection within one second share a name: the second replaces the first', async () => {
    server = await kind.start();
    await ok('PUT', '/collections/fast', { vectors: { size: 2, distance: 'Dot' } });
    let pair: { first: { name: string }; second: { name: string; size: number } } | undefined;
    for (let attempt = 1; attempt <= 5 && !pair; attempt++) {
      // Start just after a second begins, so that both fit in it.
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
      await ok('PUT', '/collections/fast/points?wait=true', {
        points: [{ id: attempt, vector: [attempt, 1] }],
      });
      const first = await ok('POST', '/collections/fast/snapshots?wait=true');
      await ok('PUT', '/collections/fast/points?wait=true', {
        points: [{ id: 100 + attempt, vector: [1, 1] }],
      });
      const second = await ok('POST', '/collections/fast/snapshots?wait=true');
      if (first.creation_time === second.creation_time) pair = { first, second };
    }
    expect(pair, 'two snapshots within one second').toBeDefined();
    const { first, second } = pair!;
    expect(second.name).toBe(first.name);
    expect(second.size).toBeGreaterThan(0);
    expect(await ok('GET', '/collections/fast/snapshots')).toEqual([second]);
  });

  it('payload_schema shows payload indexes, and a snapshot brings them into a new collection', async () => {
    server = await kind.start();
    const dir = await tempDir();
    const { file } = await snapshotOf('indexed', 3, dir, true);
    const expected = {
      title: { data_type: 'keyword', points: 3 },
      n: {
        data_type: 'integer',
        params: expect.objectContaining({ type: 'integer', lookup: false, range: true }),
        points: 3,
      },
    };
    expect((await ok('GET', '/collections/indexed')).payload_schema).toEqual(expected);
    expect((await uploadFile(`${server.url}/collections/fresh/snapshots/upload`, file)).status).toBe(200);
    expect((await ok('GET', '/collections/fresh')).payload_schema).toEqual(expected);
  });

  it('an upload into an existing collection (named by its alias) takes the points and keeps its config and indexes', async () => {
    server = await kind.start();
    const dir = await tempDir();
    const { file } = await snapshotOf('source', 4, dir, true);
    await ok('PUT', '/collections/target', {
      vectors: { size: 2, distance: 'Dot' },
      hnsw_config: { m: 32 },
      optimizers_config: { indexing_threshold: 5000 },
      wal_config: { wal_capacity_mb: 64 },
      quantization_config: { scalar: { type: 'int8', always_ram: true } },
      strict_mode_config: { enabled: true, max_query_limit: 100 },
    });
    await ok('PUT', '/collections/target/points?wait=true', {
      points: [{ id: 99, vector: [9, 9], payload: { other: 'x' } }],
    });
    await ok('PUT', '/collections/target/index?wait=true', { field_name: 'other', field_schema: 'keyword' });
    await ok('POST', '/collections/aliases', {
      actions: [{ create_alias: { collection_name: 'target', alias_name: 'live' } }],
    });
    const before = (await ok('GET', '/collections/target')).config;

    const up = await uploadFile(`${server.url}/collections/live/snapshots/upload?priority=snapshot`, file);
    expect(up.status, up.text).toBe(200);
    // The alias resolved to its collection: no collection named after it, the points replaced.
    expect(
      (await ok<{ collections: { name: string }[] }>('GET', '/collections')).collections
        .map((c) => c.name)
        .sort(),
    ).toEqual(['source', 'target']);
    expect(await ids('target')).toEqual([1, 2, 3, 4]);
    const after = await ok('GET', '/collections/target');
    expect(after.config).toEqual(before);
    expect(after.config.hnsw_config.m).toBe(32);
    expect(after.config.quantization_config).toEqual({ scalar: { type: 'int8', always_ram: true } });
    expect(after.config.strict_mode_config).toEqual({ enabled: true, max_query_limit: 100 });
    // Its own index stays (no point has that field now); the snapshot's segments bring theirs along.
    expect(after.payload_schema).toEqual({
      other: { data_type: 'keyword', points: 0 },
      title: { data_type: 'keyword', points: 4 },
      n: expect.objectContaining({ data_type: 'integer', points: 4 }),
    });
    // The uploaded file stays under the name used in the URL.
    expect(server.snapshotFiles('live')).toEqual(['source.snapshot']);
  });

  it('an upload into an existing collection is refused only when vectors or shard_number differ', async () => {
    server = await kind.start();
    const dir = await tempDir();
    const { file } = await snapshotOf('source', 3, dir);
    const refused = 'Wrong input: Snapshot is not compatible with existing collection: ';
    const cases: [string, Record<string, unknown>, number, string?][] = [
      ['size', { vectors: { size: 3, distance: 'Dot' } }, 400, `${refused}Collection vectors: `],
      ['distance', { vectors: { size: 2, distance: 'Cosine' } }, 400, `${refused}Collection vectors: `],
      [
        'on_disk',
        { vectors: { size: 2, distance: 'Dot', on_disk: true } },
        400,
        `${refused}Collection vectors: `,
      ],
      [
        'shards',
        { vectors: { size: 2, distance: 'Dot' }, shard_number: 2 },
        400,
        `${refused}Collection shard number: 2 Snapshot shard number: 1`,
      ],
      ['sparse', { vectors: { size: 2, distance: 'Dot' }, sparse_vectors: { words: {} } }, 200],
      ['replicas', { vectors: { size: 2, distance: 'Dot' }, replication_factor: 2 }, 200],
    ];
    for (const [name, config, status, message] of cases) {
      await ok('PUT', `/collections/${name}`, config);
      await ok('PUT', `/collections/${name}/points?wait=true`, {
        points: [{ id: 50, vector: name === 'size' ? [1, 1, 1] : [1, 1] }],
      });
      const up = await uploadFile(
        `${server.url}/collections/${name}/snapshots/upload?priority=snapshot`,
        file,
      );
      expect(up.status, `${name}: ${up.text}`).toBe(status);
      if (message) {
        expect(up.json.status.error.startsWith(message), up.json.status.error).toBe(true);
        expect(await ids(name)).toEqual([50]); // refused: untouched
      } else {
        expect(await ids(name)).toEqual([1, 2, 3]);
      }
    }
    expect((await ok('GET', '/collections/replicas')).config.params.replication_factor).toBe(2);
  });

  it('without S3 snapshot storage: a checksum in every answer, and downloads with Content-Length and ranges', async () => {
    server = await kind.start();
    const dir = await tempDir();
    const { made, got } = await snapshotOf('plain', 3, dir);
    expect(made.checksum).toBe(got.sha256);
    expect((await ok<{ checksum?: string }[]>('GET', '/collections/plain/snapshots'))[0]!.checksum).toBe(
      got.sha256,
    );
    expect(Number(got.headers['content-length'])).toBe(got.bytes);
    expect(got.headers['accept-ranges']).toBe('bytes');
    const part = await download(`${server.url}/collections/plain/snapshots/${made.name}`, undefined, {
      range: 'bytes=10-19',
    });
    expect(part.status).toBe(206);
    expect(part.bytes).toBe(10);
  });

  it.skipIf(kind === realNode && !VERSITYGW_BINARY)(
    'with snapshots kept in S3: no checksum in the create answer or the list, downloads without Content-Length',
    async () => {
      server = await kind.start({ s3: true });
      const dir = await tempDir();
      const { made, got } = await snapshotOf('remote', 3, dir);
      expect(made).toEqual({ name: expect.any(String), creation_time: expect.any(String), size: got.bytes });
      expect(await ok('GET', '/collections/remote/snapshots')).toEqual([made]);
      expect(got.headers['content-length']).toBeUndefined();
      expect(got.headers['transfer-encoding']).toBe('chunked');
      const ranged = await download(`${server.url}/collections/remote/snapshots/${made.name}`, undefined, {
        range: 'bytes=10-19',
      });
      expect([ranged.status, ranged.bytes]).toEqual([200, got.bytes]); // the whole file, every time
      expect(ranged.sha256).toBe(got.sha256);
    },
  );
});
