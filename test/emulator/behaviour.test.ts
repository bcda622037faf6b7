// Behaviour: the emulator does what Qdrant does where the action depends on it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { fileUrl, startEmulator, writeSnapshotFile, type Emulator, type PointInput } from './index.js';
import { call, download, sha256File, tempDir, uploadFile } from './helpers.js';

let emu: Emulator;
let dir: string;

beforeEach(async () => {
  dir = await tempDir();
  emu = await startEmulator({ dataDir: dir, peerId: 7 });
});

afterEach(async () => {
  await emu.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

async function scrollAll(base: string, collection: string) {
  const all: unknown[] = [];
  let offset: unknown = null;
  do {
    const res = await call(base, 'POST', `/collections/${collection}/points/scroll`, {
      body: { limit: 3, offset, with_payload: true, with_vector: true },
    });
    expect(res.status).toBe(200);
    all.push(...res.json.result.points);
    offset = res.json.result.next_page_offset;
  } while (offset !== null);
  return all;
}

async function count(collection: string, base = emu.url): Promise<number> {
  const res = await call(base, 'POST', `/collections/${collection}/points/count`, { body: { exact: true } });
  expect(res.status).toBe(200);
  return res.json.result.count;
}

async function snapshotTo(collection: string, file: string) {
  const res = await call(emu.url, 'POST', `/collections/${collection}/snapshots?wait=true`);
  expect(res.status).toBe(200);
  const d = res.json.result;
  const dl = await download(`${emu.url}/collections/${collection}/snapshots/${d.name}`, file);
  expect(dl.sha256).toBe(d.checksum);
  return d as { name: string; checksum: string; size: number };
}

const seedConfig = {
  vectors: { dense: { size: 3, distance: 'Cosine' }, other: { size: 2, distance: 'Euclid' } },
  sparse_vectors: { words: {} },
  hnsw_config: { m: 32 },
};
const seedPoints: PointInput[] = [
  {
    id: 10,
    vector: { dense: [1, 2, 3], other: [0.5, -1], words: { indices: [3, 7], values: [0.25, 1.5] } },
    payload: { title: 'ten', nested: { a: [1, 2] } },
  },
  { id: 2, vector: { dense: [0, 0, 1] }, payload: {} },
  { id: 'A3BB189E-8BF9-3888-9912-ACE4E6543002', vector: { other: [1, 1] }, payload: { u: true } },
  { id: 0, vector: { dense: [0.1, 0.2, 0.3], other: [2, 3] }, payload: { zero: 0 } },
];

describe('snapshot round trip', () => {
  it('reproduces ids, vectors, payloads and config exactly', async () => {
    await emu.createCollection('src', seedConfig);
    await emu.upsertPoints('src', seedPoints);
    const before = await scrollAll(emu.url, 'src');
    const info = (await call(emu.url, 'GET', '/collections/src')).json.result;
    // Qdrant stores float32 and normalises cosine vectors
    expect(before[0]).toMatchObject({ id: 0 });
    expect(before[before.length - 1]).toMatchObject({ id: 'a3bb189e-8bf9-3888-9912-ace4e6543002' });

    const file = path.join(dir, 'src.snapshot');
    const d = await snapshotTo('src', file);
    await call(emu.url, 'DELETE', '/collections/src');
    expect((await call(emu.url, 'GET', '/collections/src')).status).toBe(404);

    const up = await uploadFile(
      `${emu.url}/collections/src/snapshots/upload?priority=snapshot&checksum=${d.checksum}&wait=true`,
      file,
    );
    expect(up.status).toBe(200);
    expect(up.json.result).toBe(true);
    expect(await scrollAll(emu.url, 'src')).toEqual(before);
    expect((await call(emu.url, 'GET', '/collections/src')).json.result).toEqual(info);
  });

  it('recovers into another server from an http URL with api_key, and from file://', async () => {
    await emu.createCollection('src', seedConfig);
    await emu.upsertPoints('src', seedPoints);
    const before = await scrollAll(emu.url, 'src');
    const d = (await call(emu.url, 'POST', '/collections/src/snapshots')).json.result;

    const dir2 = await tempDir();
    const other = await startEmulator({ dataDir: path.join(dir2, 'other'), apiKey: 'k2' });
    const secured = await startEmulator({ dataDir: path.join(dir2, 'secured'), apiKey: 'src-key' });
    try {
      let res = await call(other.url, 'PUT', '/collections/copy/snapshots/recover', {
        headers: { 'api-key': 'k2' },
        body: {
          location: `${emu.url}/collections/src/snapshots/${d.name}`,
          priority: 'snapshot',
          checksum: d.checksum,
        },
      });
      expect(res.status).toBe(200);
      const list = await call(other.url, 'POST', '/collections/copy/points/count', {
        headers: { 'api-key': 'k2' },
        body: { exact: true },
      });
      expect(list.json.result.count).toBe(before.length);
      // downloaded files are removed after recovery (only uploads are kept)
      expect(other.snapshotFiles('copy')).toEqual([]);

      // a source that needs a key: without api_key the download fails with 401
      await secured.createCollection('s', { vectors: { size: 2, distance: 'Dot' } });
      const sd = (
        await call(secured.url, 'POST', '/collections/s/snapshots', { headers: { 'api-key': 'src-key' } })
      ).json.result;
      const loc = `${secured.url}/collections/s/snapshots/${sd.name}`;
      res = await call(other.url, 'PUT', '/collections/s/snapshots/recover', {
        headers: { 'api-key': 'k2' },
        body: { location: loc, priority: 'snapshot' },
      });
      expect(res.status).toBe(400);
      expect(res.json.status.error).toMatch(
        /^Wrong input: Failed to download tar from .*: status - 401 Unauthorized$/,
      );
      res = await call(other.url, 'PUT', '/collections/s/snapshots/recover', {
        headers: { 'api-key': 'k2' },
        body: { location: loc, priority: 'snapshot', api_key: 'src-key' },
      });
      expect(res.status).toBe(200);

      // file:// inside the server's snapshots folder
      res = await call(emu.url, 'PUT', '/collections/again/snapshots/recover', {
        body: { location: fileUrl(path.join(emu.snapshotsDir, 'src', d.name)), priority: 'snapshot' },
      });
      expect(res.status).toBe(200);
      expect(await scrollAll(emu.url, 'again')).toEqual(before);
    } finally {
      await other.close();
      await secured.close();
      await fsp.rm(dir2, { recursive: true, force: true });
    }
  });

  it('keeps the uploaded file in the collection snapshot folder, as Qdrant does', async () => {
    await emu.createCollection('src', { vectors: { size: 2, distance: 'Dot' } });
    const file = path.join(dir, 'mine.snapshot');
    const d = await snapshotTo('src', file);
    await call(emu.url, 'DELETE', `/collections/src/snapshots/${d.name}`);
    expect(emu.snapshotFiles('src')).toEqual([]);
    const up = await uploadFile(`${emu.url}/collections/dst/snapshots/upload?priority=snapshot`, file, {
      filename: 'restore-upload.snapshot',
    });
    expect(up.status).toBe(200);
    expect(emu.snapshotFiles('dst')).toEqual(['restore-upload.snapshot']);
    const listed = (await call(emu.url, 'GET', '/collections/dst/snapshots')).json.result;
    expect(listed).toEqual([
      { name: 'restore-upload.snapshot', creation_time: expect.any(String), size: d.size },
    ]);
    expect(
      (await call(emu.url, 'DELETE', '/collections/dst/snapshots/restore-upload.snapshot')).json.result,
    ).toBe(true);
    expect(emu.snapshotFiles('dst')).toEqual([]);
  });

  it('refuses to recover into an existing collection with other vectors', async () => {
    await emu.createCollection('a', { vectors: { size: 2, distance: 'Dot' } });
    await emu.createCollection('b', { vectors: { size: 3, distance: 'Dot' } });
    const file = path.join(dir, 'a.snapshot');
    await snapshotTo('a', file);
    const up = await uploadFile(`${emu.url}/collections/b/snapshots/upload?priority=snapshot`, file);
    expect(up.status).toBe(400);
    expect(up.json.status.error).toMatch(/^Wrong input: Snapshot is not compatible with existing collection/);
  });
});

describe('nothing is touched on failure', () => {
  it('checksum mismatch: collection, snapshot folder and temp folder unchanged', async () => {
    await emu.createCollection('keep', { vectors: { size: 2, distance: 'Dot' } });
    await emu.upsertPoints('keep', [{ id: 1, vector: [1, 2] }]);
    await emu.createCollection('other', { vectors: { size: 2, distance: 'Dot' } });
    await emu.upsertPoints('other', [
      { id: 1, vector: [3, 4] },
      { id: 2, vector: [5, 6] },
    ]);
    const file = path.join(dir, 'other.snapshot');
    const d = await snapshotTo('other', file);
    await call(emu.url, 'DELETE', `/collections/other/snapshots/${d.name}`);
    const before = await scrollAll(emu.url, 'keep');
    const wrong = d.checksum.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    const up = await uploadFile(
      `${emu.url}/collections/keep/snapshots/upload?priority=snapshot&checksum=${wrong}`,
      file,
    );
    expect(up.status).toBe(400);
    expect(up.json.status.error).toBe(`Checksum mismatch: expected ${d.checksum}, actual ${wrong}`);
    expect(await scrollAll(emu.url, 'keep')).toEqual(before);
    expect(emu.snapshotFiles('keep')).toEqual([]);
    expect(await fsp.readdir(path.join(dir, 'tmp'))).toEqual([]);
    const fresh = await uploadFile(`${emu.url}/collections/newone/snapshots/upload?checksum=${wrong}`, file);
    expect(fresh.status).toBe(400);
    expect((await call(emu.url, 'GET', '/collections/newone')).status).toBe(404);
  });

  it('a file that is not a valid tar is refused', async () => {
    const junk = path.join(dir, 'junk.snapshot');
    await fsp.writeFile(junk, Buffer.alloc(4096, 7));
    const up = await uploadFile(`${emu.url}/collections/j/snapshots/upload?priority=snapshot`, junk);
    expect(up.status).toBe(500);
    expect(up.json.status.error).toMatch(/^Service internal error: File IO error: Malformed tar archive/);
    expect((await call(emu.url, 'GET', '/collections/j')).status).toBe(404);
  });
});

describe('versions', () => {
  // Qdrant's recovery path checks no snapshot version: the tool's own version guard is the only one.
  it.each(['0.19.0', '1.17.0', '1.18.3', '1.19.0', '1.20.0'])(
    'a %s snapshot on a 1.19.0 server is recovered (no version check at recovery)',
    async (version) => {
      const file = path.join(dir, `v${version}.snapshot`);
      await writeSnapshotFile(file, {
        collection: 'v',
        version,
        config: { vectors: { size: 2, distance: 'Dot' } },
        points: [{ id: 1, vector: [1, 2] }],
      });
      const up = await uploadFile(`${emu.url}/collections/v/snapshots/upload?priority=snapshot`, file);
      expect(up.status).toBe(200);
      expect(await count('v')).toBe(1);
    },
  );
});

describe('priority', () => {
  it('on a single node every priority recovers the snapshot, and none is the default', async () => {
    const file = path.join(dir, 'p.snapshot');
    await writeSnapshotFile(file, {
      collection: 'p',
      config: { vectors: { size: 2, distance: 'Dot' } },
      points: [
        { id: 1, vector: [1, 2] },
        { id: 2, vector: [3, 4] },
      ],
    });
    for (const [collection, query] of [
      ['p1', ''],
      ['p2', '?priority=replica'],
      ['p3', '?priority=snapshot'],
      ['p4', '?priority=no_sync'],
    ] as const) {
      expect(
        (await uploadFile(`${emu.url}/collections/${collection}/snapshots/upload${query}`, file)).status,
      ).toBe(200);
      expect(await count(collection), `${collection}${query}`).toBe(2);
    }
    const res = await uploadFile(`${emu.url}/collections/p5/snapshots/upload?priority=bogus`, file);
    expect(res.status).toBe(400);
    expect(res.json.status.error).toMatch(/^Deserialize error in query parameters: unknown variant `bogus`/);
  });

  it.each(['snapshot', 'replica'])('priority=%s replaces an existing collection', async (priority) => {
    await emu.createCollection('x', { vectors: { size: 2, distance: 'Dot' } });
    await emu.upsertPoints('x', [{ id: 99, vector: [9, 9] }]);
    const file = path.join(dir, 'x.snapshot');
    await writeSnapshotFile(file, {
      collection: 'x',
      config: { vectors: { size: 2, distance: 'Dot' } },
      points: [{ id: 1, vector: [1, 2] }],
    });
    expect(
      (await uploadFile(`${emu.url}/collections/x/snapshots/upload?priority=${priority}`, file)).status,
    ).toBe(200);
    expect((await scrollAll(emu.url, 'x')).map((p) => (p as { id: number }).id)).toEqual([1]);
  });
});

describe('api keys', () => {
  let secured: Emulator;
  let sdir: string;
  beforeEach(async () => {
    sdir = await tempDir();
    secured = await startEmulator({ dataDir: sdir, apiKey: 'secret', readOnlyKey: 'reader' });
    await secured.createCollection('c', { vectors: { size: 2, distance: 'Dot' } });
  });
  afterEach(async () => {
    await secured.close();
    await fsp.rm(sdir, { recursive: true, force: true });
  });

  it('401 without or with a wrong key; /, /healthz, /livez, /readyz stay open', async () => {
    for (const p of ['/', '/healthz', '/livez', '/readyz'])
      expect((await call(secured.url, 'GET', p)).status).toBe(200);
    let res = await call(secured.url, 'GET', '/collections');
    expect(res.status).toBe(401);
    expect(res.text).toBe('Must provide an API key or an Authorization bearer token');
    res = await call(secured.url, 'GET', '/collections', { headers: { 'api-key': 'nope' } });
    expect(res.status).toBe(401);
    expect(res.text).toBe('Invalid API key or JWT');
    res = await call(secured.url, 'GET', '/no/such/route');
    expect(res.status).toBe(401);
    expect(
      (await call(secured.url, 'GET', '/collections', { headers: { 'api-key': 'secret' } })).status,
    ).toBe(200);
    expect(
      (await call(secured.url, 'GET', '/collections', { headers: { authorization: 'Bearer secret' } }))
        .status,
    ).toBe(200);
    expect(
      (await call(secured.url, 'GET', '/no/such/route', { headers: { 'api-key': 'secret' } })).status,
    ).toBe(404);
  });

  it('a read-only key reads, and gets 403 on every mutation', async () => {
    const ro = { 'api-key': 'reader' };
    expect((await call(secured.url, 'GET', '/collections', { headers: ro })).status).toBe(200);
    expect((await call(secured.url, 'GET', '/collections/c/snapshots', { headers: ro })).status).toBe(200);
    expect(
      (await call(secured.url, 'POST', '/collections/c/points/count', { headers: ro, body: { exact: true } }))
        .status,
    ).toBe(200);
    const mutations: Array<[string, string, unknown?]> = [
      ['POST', '/collections/c/snapshots'],
      ['PUT', '/collections/d', { vectors: { size: 2, distance: 'Dot' } }],
      ['DELETE', '/collections/c'],
      ['PUT', '/collections/c/points?wait=true', { points: [{ id: 1, vector: [1, 2] }] }],
      [
        'POST',
        '/collections/aliases',
        { actions: [{ create_alias: { collection_name: 'c', alias_name: 'a' } }] },
      ],
      ['PUT', '/collections/c/snapshots/recover', { location: 'http://127.0.0.1:1/x.snapshot' }],
      ['DELETE', '/collections/c/snapshots/x.snapshot'],
      ['POST', '/snapshots'],
    ];
    for (const [method, p, body] of mutations) {
      const res = await call(secured.url, method, p, { headers: ro, body });
      expect(res.status, `${method} ${p}`).toBe(403);
      expect(res.json.status.error).toBe('Forbidden: Global manage access is required');
    }
    const file = path.join(sdir, 'x.snapshot');
    await writeSnapshotFile(file, { collection: 'c', config: { vectors: { size: 2, distance: 'Dot' } } });
    const up = await uploadFile(`${secured.url}/collections/c/snapshots/upload?priority=snapshot`, file, {
      headers: ro,
    });
    expect(up.status).toBe(403);
    expect(up.contentType).toMatch(/^text\/plain/);
    expect(up.text).toBe('Forbidden: Global manage access is required');
    // nothing happened
    expect(secured.snapshotFiles('c')).toEqual([]);
    expect(secured.requests.filter((r) => r.status === 200 && r.method !== 'GET').map((r) => r.path)).toEqual(
      ['/collections/c/points/count'],
    );
  });
});

describe('collections, aliases, names', () => {
  it('deleting a collection removes its aliases; aliases resolve for reads and snapshots', async () => {
    await emu.createCollection('real', { vectors: { size: 2, distance: 'Dot' } });
    await emu.upsertPoints('real', [{ id: 1, vector: [1, 2] }]);
    await call(emu.url, 'POST', '/collections/aliases', {
      body: { actions: [{ create_alias: { collection_name: 'real', alias_name: 'prod' } }] },
    });
    expect(await count('prod')).toBe(1);
    const d = (await call(emu.url, 'POST', '/collections/prod/snapshots')).json.result;
    expect(d.name.startsWith('real-7-')).toBe(true);
    expect(emu.snapshotFiles('real')).toEqual([d.name]);
    expect((await call(emu.url, 'PUT', '/collections/prod', { body: {} })).status).toBe(400);
    expect((await call(emu.url, 'DELETE', '/collections/real')).json.result).toBe(true);
    expect((await call(emu.url, 'GET', '/aliases')).json.result).toEqual({ aliases: [] });
    expect((await call(emu.url, 'DELETE', '/collections/real')).json.result).toBe(false);
  });

  it('two snapshots within one second share a name: the second replaces the first', async () => {
    await emu.createCollection('fast', { vectors: { size: 2, distance: 'Dot' } });
    for (let attempt = 0; ; attempt++) {
      const first = (await call(emu.url, 'POST', '/collections/fast/snapshots')).json.result;
      await emu.upsertPoints('fast', [{ id: attempt + 1, vector: [1, attempt] }]);
      const second = (await call(emu.url, 'POST', '/collections/fast/snapshots')).json.result;
      expect(second.name).toMatch(/^fast-7-\d{4}(-\d{2}){5}\.snapshot$/);
      if (first.creation_time !== second.creation_time && attempt < 3) continue; // crossed a second
      expect(second.name).toBe(first.name);
      expect(second.checksum).not.toBe(first.checksum);
      expect((await call(emu.url, 'GET', '/collections/fast/snapshots')).json.result).toEqual([second]);
      expect(emu.snapshotFiles('fast')).toEqual([second.name]);
      break;
    }
  });

  it('wait=false answers 202 and the snapshot appears later', async () => {
    const slow = await startEmulator({ dataDir: path.join(dir, 'slow'), snapshotCreateDelayMs: 500 });
    try {
      await slow.createCollection('c', { vectors: { size: 2, distance: 'Dot' } });
      const res = await call(slow.url, 'POST', '/collections/c/snapshots?wait=false');
      expect(res.status).toBe(202);
      expect(res.json).toEqual({ status: 'accepted', time: expect.any(Number) });
      expect((await call(slow.url, 'GET', '/collections/c/snapshots')).json.result).toEqual([]);
      const deadline = Date.now() + 10_000;
      let listed: unknown[] = [];
      while (listed.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        listed = (await call(slow.url, 'GET', '/collections/c/snapshots')).json.result;
      }
      expect(listed).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it('serves byte ranges of a snapshot', async () => {
    await emu.createCollection('r', { vectors: { size: 2, distance: 'Dot' } });
    const file = path.join(dir, 'r.snapshot');
    const d = await snapshotTo('r', file);
    const whole = await fsp.readFile(file);
    const part = path.join(dir, 'part');
    const res = await download(`${emu.url}/collections/r/snapshots/${d.name}`, part, { range: 'bytes=100-' });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 100-${d.size - 1}/${d.size}`);
    expect(await fsp.readFile(part)).toEqual(whole.subarray(100));
    const bad = await download(`${emu.url}/collections/r/snapshots/${d.name}`, undefined, {
      range: `bytes=${d.size}-`,
    });
    expect(bad.status).toBe(416);
  });

  it('records requests and keeps data over a restart on the same port', async () => {
    await emu.createCollection('r', { vectors: { size: 2, distance: 'Dot' } });
    await emu.upsertPoints('r', [{ id: 1, vector: [1, 2] }]);
    const port = emu.port;
    await call(emu.url, 'GET', '/collections/r?x=1');
    expect(emu.requests.at(-1)).toEqual({
      method: 'GET',
      path: '/collections/r',
      query: { x: '1' },
      status: 200,
    });
    const restarting = emu.restart({ downMs: 400 });
    await new Promise((r) => setTimeout(r, 100));
    await expect(call(emu.url, 'GET', '/readyz')).rejects.toThrow(/ECONNREFUSED/);
    await restarting;
    expect(emu.port).toBe(port);
    expect(await count('r')).toBe(1);
  });

  it('addCollectionFromSnapshot backs a collection by a file', async () => {
    const file = path.join(dir, 'big.snapshot');
    const made = await writeSnapshotFile(file, { collection: 'big', randomPoints: { count: 1000, dim: 8 } });
    await emu.addCollectionFromSnapshot('big', file);
    expect(await count('big')).toBe(1000);
    const page = (
      await call(emu.url, 'POST', '/collections/big/points/scroll', { body: { limit: 2, with_vector: true } })
    ).json.result;
    expect(page.points.map((p: { id: number }) => p.id)).toEqual([1, 2]);
    expect(page.points[0].vector).toHaveLength(8);
    expect(page.next_page_offset).toBe(3);
    const d = (await call(emu.url, 'POST', '/collections/big/snapshots')).json.result;
    expect(d.checksum).toBe(made.sha256);
    expect(d.size).toBe(made.size);
    expect(await sha256File(path.join(emu.snapshotsDir, 'big', d.name))).toBe(made.sha256);
  });
});

describe('cluster', () => {
  it('cluster: true is a one-node cluster: enabled, one peer, itself the raft leader', async () => {
    const node = await startEmulator({ dataDir: path.join(dir, 'cluster'), peerId: 11, cluster: true });
    try {
      await node.createCollection('c', { vectors: { size: 2, distance: 'Dot' }, shard_number: 2 });
      await node.upsertPoints(
        'c',
        [1, 2, 3, 4, 5].map((id) => ({ id, vector: [id, 1] })),
      );
      const info = (await call(node.url, 'GET', '/cluster')).json.result;
      expect(info).toMatchObject({
        status: 'enabled',
        peer_id: 11,
        raft_info: { leader: 11, role: 'Leader' },
      });
      expect(Object.keys(info.peers)).toEqual(['11']);
      const shards = (await call(node.url, 'GET', '/collections/c/cluster')).json.result;
      expect(shards.peer_id).toBe(11);
      expect(shards.local_shards.map((s: { shard_id: number }) => s.shard_id)).toEqual([0, 1]);
      expect(
        shards.local_shards.reduce((n: number, s: { points_count: number }) => n + s.points_count, 0),
      ).toBe(5);
    } finally {
      await node.close();
    }
    expect((await call(emu.url, 'GET', '/cluster')).json.result).toEqual({ status: 'disabled' });
  });
});

describe('cli', () => {
  it('prints its URL first and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [path.resolve('test/emulator/cli.js'), '--port', '0', '--data', dir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const rl = readline.createInterface({ input: child.stdout! });
      const url = await new Promise<string>((resolve) => rl.once('line', resolve));
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await call(url, 'GET', '/');
      expect(res.json.version).toBe('1.19.0');
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(fs.existsSync(path.join(dir, 'snapshots'))).toBe(true);
  });
});
