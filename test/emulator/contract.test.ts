// Contract: every emulator response validates against the response schema the Qdrant OpenAPI spec
// declares for that path, method and status (spec from $QDRANT_OPENAPI, default the 1.19 fixture).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fileUrl, startEmulator, type Emulator } from './index.js';
import { OpenApiContract, call, download, tempDir, uploadFile, type CallResult } from './helpers.js';

const contract = new OpenApiContract();
const exercised = new Set<string>();

let emu: Emulator;
let dir: string;

/** Call, then validate the body against the spec; returns the result for more specific checks. */
async function checked(
  method: string,
  p: string,
  opts: { body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<CallResult> {
  const res = await call(emu.url, method, p, opts);
  return validate(method, p, res);
}

function validate(method: string, p: string, res: CallResult): CallResult {
  const c = contract.check(method, p.split('?')[0]!, res.status, res.json, res.contentType);
  exercised.add(`${method} ${c.template} ${res.status}`);
  expect(c.errors, `${method} ${p} -> ${res.status} ${res.text.slice(0, 300)}`).toEqual([]);
  if (res.contentType.includes('json')) {
    // the spec declared a JSON body for this status: it must have been validated
    expect(c.validated, `${method} ${p} ${res.status}: spec declares no JSON schema`).toBe(true);
  }
  return res;
}

function expectOk(res: CallResult) {
  expect(res.json).toMatchObject({ status: 'ok', time: expect.any(Number) });
  expect(res.json).toHaveProperty('result');
}

function expectError(res: CallResult, status: number, message?: string | RegExp) {
  expect(res.status).toBe(status);
  expect(Object.keys(res.json).sort()).toEqual(['status', 'time']);
  expect(res.json.status).toEqual({ error: expect.any(String) });
  if (message instanceof RegExp) expect(res.json.status.error).toMatch(message);
  else if (message !== undefined) expect(res.json.status.error).toBe(message);
}

beforeAll(async () => {
  dir = await tempDir();
  emu = await startEmulator({ dataDir: dir, peerId: 42 });
});

afterAll(async () => {
  await emu.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('service endpoints', () => {
  it('GET / returns VersionInfo without an envelope', async () => {
    const res = await checked('GET', '/');
    expect(res.json).toEqual({
      title: 'qdrant - vector search engine',
      version: '1.19.0',
      commit: expect.any(String),
    });
  });

  it.each([
    ['/healthz', 'healthz check passed'],
    ['/livez', 'healthz check passed'],
    ['/readyz', 'all shards are ready'],
  ])('GET %s answers text/plain', async (p, text) => {
    const res = await checked('GET', p);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/plain/);
    expect(res.text).toBe(text);
  });

  it('GET /cluster reports a disabled cluster', async () => {
    const res = await checked('GET', '/cluster');
    expect(res.json.result).toEqual({ status: 'disabled' });
  });

  it('unknown routes answer 404 with an empty body', async () => {
    const res = await call(emu.url, 'GET', '/no/such/route');
    expect(res.status).toBe(404);
    expect(res.text).toBe('');
  });
});

describe('collections', () => {
  it('create, conflict, info, list, exists, delete', async () => {
    let res = await checked('PUT', '/collections/books', {
      body: { vectors: { size: 4, distance: 'Dot' }, sparse_vectors: { text: {} }, on_disk_payload: false },
    });
    expectOk(res);
    expect(res.json.result).toBe(true);

    res = await checked('PUT', '/collections/books', { body: { vectors: { size: 4, distance: 'Dot' } } });
    expectError(res, 409, 'Wrong input: Collection `books` already exists!');

    res = await checked('GET', '/collections/books');
    expectOk(res);
    expect(res.json.result).toMatchObject({
      status: 'green',
      optimizer_status: 'ok',
      points_count: 0,
      indexed_vectors_count: 0,
      payload_schema: {},
      config: {
        params: {
          vectors: { size: 4, distance: 'Dot' },
          sparse_vectors: { text: {} },
          on_disk_payload: false,
        },
        quantization_config: null,
      },
    });
    expect(res.json.result).not.toHaveProperty('vectors_count');

    res = await checked('GET', '/collections/missing');
    expectError(res, 404, "Not found: Collection `missing` doesn't exist!");

    res = await checked('GET', '/collections');
    expect(res.json.result.collections).toContainEqual({ name: 'books' });

    res = await checked('GET', '/collections/books/exists');
    expect(res.json.result).toEqual({ exists: true });

    res = await checked('PUT', '/collections/bad', { body: { vectors: { size: 4, distance: 'Hamming' } } });
    expectError(res, 400, /^Format error in JSON body: /);

    res = await checked('PUT', '/collections/bad', {
      rawBody: '{"vectors":',
      headers: { 'content-type': 'application/json' },
    });
    expectError(res, 400, /^Format error in JSON body: /);

    res = await checked('PUT', '/collections/bad', {
      rawBody: '{}',
      headers: { 'content-type': 'text/plain' },
    });
    expectError(res, 400, 'Content type error');

    res = await checked('DELETE', '/collections/never-existed');
    expectOk(res);
    expect(res.json.result).toBe(false);
  });

  it('named vectors', async () => {
    const res = await checked('PUT', '/collections/named', {
      body: { vectors: { image: { size: 2, distance: 'Euclid' }, text: { size: 3, distance: 'Cosine' } } },
    });
    expect(res.json.result).toBe(true);
    const info = await checked('GET', '/collections/named');
    expect(info.json.result.config.params.vectors).toEqual({
      image: { size: 2, distance: 'Euclid' },
      text: { size: 3, distance: 'Cosine' },
    });
  });
});

describe('points', () => {
  beforeAll(async () => {
    await emu.createCollection('pts', { vectors: { size: 3, distance: 'Dot' } });
  });

  it('upsert, count, scroll, retrieve', async () => {
    let res = await checked('PUT', '/collections/pts/points?wait=true', {
      body: {
        points: [
          { id: 2, vector: [0.5, 0.25, 1], payload: { city: 'Berlin' } },
          { id: 1, vector: [0.1, 0.2, 0.3] },
          { id: '550e8400-e29b-41d4-a716-446655440000', vector: [1, 1, 1], payload: { tags: ['a', 'b'] } },
        ],
      },
    });
    expectOk(res);
    expect(res.json.result).toEqual({ operation_id: expect.any(Number), status: 'completed' });

    res = await checked('PUT', '/collections/pts/points?wait=true', {
      body: {
        batch: {
          ids: [3, 4],
          vectors: [
            [1, 2, 3],
            [4, 5, 6],
          ],
          payloads: [{ n: 3 }, null],
        },
      },
    });
    expect(res.json.result.status).toBe('completed');

    res = await checked('PUT', '/collections/pts/points', { body: { points: [{ id: 5, vector: [1, 2] }] } });
    expectError(res, 400, 'Wrong input: Vector dimension error: expected dim: 3, got 2');

    res = await checked('POST', '/collections/pts/points/count', { body: { exact: true } });
    expect(res.json.result).toEqual({ count: 5 });

    res = await checked('POST', '/collections/pts/points/scroll', {
      body: { limit: 2, with_payload: true, with_vector: true },
    });
    expect(res.json.result.points.map((p: { id: unknown }) => p.id)).toEqual([1, 2]);
    expect(res.json.result.next_page_offset).toBe(3);
    expect(res.json.result.points[1]).toEqual({ id: 2, payload: { city: 'Berlin' }, vector: [0.5, 0.25, 1] });

    res = await checked('POST', '/collections/pts/points/scroll', { body: { offset: 4, limit: 10 } });
    expect(res.json.result.points.map((p: { id: unknown }) => p.id)).toEqual([
      4,
      '550e8400-e29b-41d4-a716-446655440000',
    ]);
    expect(res.json.result.next_page_offset).toBeNull();
    expect(res.json.result.points[0]).not.toHaveProperty('vector');

    res = await checked('POST', '/collections/pts/points', { body: { ids: [1, 3], with_vector: false } });
    expect(res.json.result).toEqual([
      { id: 1, payload: {} },
      { id: 3, payload: { n: 3 } },
    ]);

    res = await checked('POST', '/collections/nope/points/count', { body: { exact: true } });
    expectError(res, 404);
  });
});

describe('aliases', () => {
  beforeAll(async () => {
    await emu.createCollection('target', { vectors: { size: 2, distance: 'Dot' } });
  });

  it('create, list, rename, delete; errors', async () => {
    let res = await checked('POST', '/collections/aliases', {
      body: { actions: [{ create_alias: { collection_name: 'target', alias_name: 'current' } }] },
    });
    expectOk(res);
    expect(res.json.result).toBe(true);

    res = await checked('GET', '/aliases');
    expect(res.json.result.aliases).toContainEqual({ alias_name: 'current', collection_name: 'target' });

    res = await checked('GET', '/collections/target/aliases');
    expect(res.json.result).toEqual({ aliases: [{ alias_name: 'current', collection_name: 'target' }] });

    res = await checked('POST', '/collections/aliases', {
      body: { actions: [{ rename_alias: { old_alias_name: 'current', new_alias_name: 'live' } }] },
    });
    expect(res.json.result).toBe(true);

    res = await checked('POST', '/collections/aliases', {
      body: { actions: [{ create_alias: { collection_name: 'ghost', alias_name: 'x' } }] },
    });
    expectError(res, 404, "Not found: Collection `ghost` doesn't exist!");

    res = await checked('POST', '/collections/aliases', {
      body: { actions: [{ rename_alias: { old_alias_name: 'nope', new_alias_name: 'x' } }] },
    });
    expectError(res, 404, 'Not found: Alias nope does not exists!');

    res = await checked('POST', '/collections/aliases', {
      body: { actions: [{ delete_alias: { alias_name: 'live' } }] },
    });
    expect(res.json.result).toBe(true);

    res = await checked('GET', '/collections/ghost/aliases');
    expectError(res, 404);
  });
});

describe('collection snapshots', () => {
  beforeAll(async () => {
    await emu.createCollection('snap', { vectors: { size: 2, distance: 'Dot' } });
    await emu.upsertPoints('snap', [
      { id: 1, vector: [1, 2], payload: { a: 1 } },
      { id: 2, vector: [3, 4] },
    ]);
  });

  it('create (wait=true / wait=false), list, download, delete', async () => {
    let res = await checked('POST', '/collections/snap/snapshots?wait=true');
    expectOk(res);
    const d = res.json.result;
    expect(d).toEqual({
      name: expect.any(String),
      creation_time: expect.any(String),
      size: expect.any(Number),
      checksum: expect.any(String),
    });
    expect(d.name).toMatch(/^snap-42-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.snapshot$/);
    expect(d.creation_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    expect(d.checksum).toMatch(/^[0-9a-f]{64}$/);

    res = await checked('POST', '/collections/snap/snapshots?wait=false');
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ status: 'accepted', time: expect.any(Number) });

    // Within the same second the wait=false snapshot gets the same name and replaces the first (as in
    // Qdrant); its content is the same, so only creation_time may differ.
    res = await checked('GET', '/collections/snap/snapshots');
    expect(res.json.result).toContainEqual({ ...d, creation_time: expect.any(String) });

    const dl = await download(`${emu.url}/collections/snap/snapshots/${d.name}`);
    exercised.add(`GET /collections/{collection_name}/snapshots/{snapshot_name} ${dl.status}`);
    expect(dl.status).toBe(200);
    expect(dl.headers['content-type']).toBe('application/octet-stream');
    expect(Number(dl.headers['content-length'])).toBe(d.size);
    expect(dl.sha256).toBe(d.checksum);

    // download errors come from actix's default ResponseError rendering: text/plain
    res = await checked('GET', '/collections/snap/snapshots/nope.snapshot');
    expect(res.status).toBe(404);
    expect(res.contentType).toMatch(/^text\/plain/);
    expect(res.text).toBe('Not found: Snapshot nope.snapshot not found');

    res = await checked('DELETE', `/collections/snap/snapshots/${d.name}`);
    expectOk(res);
    expect(res.json.result).toBe(true);

    res = await checked('DELETE', `/collections/snap/snapshots/${d.name}`);
    expectError(res, 404, `Not found: Snapshot ${d.name} not found`);

    res = await checked('POST', '/collections/ghost/snapshots');
    expectError(res, 404, "Not found: Collection `ghost` doesn't exist!");

    res = await checked('GET', '/collections/ghost/snapshots');
    expectError(res, 404);
  });

  it('upload and recover', async () => {
    const created = await call(emu.url, 'POST', '/collections/snap/snapshots');
    const d = created.json.result;
    const file = path.join(dir, 'snap.snapshot');
    await download(`${emu.url}/collections/snap/snapshots/${d.name}`, file);

    let res = validate(
      'POST',
      '/collections/up/snapshots/upload',
      await uploadFile(
        `${emu.url}/collections/up/snapshots/upload?priority=snapshot&checksum=${d.checksum}&wait=true`,
        file,
      ),
    );
    expectOk(res);
    expect(res.json.result).toBe(true);

    res = validate(
      'POST',
      '/collections/up/snapshots/upload',
      await uploadFile(`${emu.url}/collections/up/snapshots/upload?priority=snapshot&wait=false`, file),
    );
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ status: 'accepted', time: expect.any(Number) });

    res = validate(
      'POST',
      '/collections/up/snapshots/upload',
      await uploadFile(
        `${emu.url}/collections/up/snapshots/upload?priority=snapshot&checksum=${'0'.repeat(64)}`,
        file,
      ),
    );
    expectError(res, 400, `Checksum mismatch: expected ${d.checksum}, actual ${'0'.repeat(64)}`);

    const local = path.join(emu.snapshotsDir, 'snap', d.name);
    res = await checked('PUT', '/collections/rec/snapshots/recover', {
      body: { location: fileUrl(local), priority: 'snapshot', checksum: d.checksum },
    });
    expectOk(res);
    expect(res.json.result).toBe(true);

    res = await checked('PUT', '/collections/rec2/snapshots/recover?wait=false', {
      body: { location: `${emu.url}/collections/snap/snapshots/${d.name}`, priority: 'snapshot' },
    });
    expect(res.status).toBe(202);

    res = await checked('PUT', '/collections/rec/snapshots/recover', { body: { location: fileUrl(file) } });
    expectError(res, 403, /^Forbidden: Snapshot file path must be inside the snapshots directory /);

    res = await checked('PUT', '/collections/rec/snapshots/recover', {
      body: { location: fileUrl(path.join(emu.snapshotsDir, 'none.snapshot')) },
    });
    expectError(res, 400, /^Bad request: Snapshot file ".*none\.snapshot" does not exist$/);

    res = await checked('PUT', '/collections/rec/snapshots/recover', {
      body: { location: fileUrl(local), priority: 'snapshot', checksum: 'f'.repeat(64) },
    });
    expectError(
      res,
      400,
      `Wrong input: Snapshot checksum mismatch: expected ${'f'.repeat(64)}, got ${d.checksum}`,
    );

    res = await checked('PUT', '/collections/rec/snapshots/recover', {
      body: { location: 'ftp://example/x.snapshot' },
    });
    expectError(res, 400, 'Bad request: URL ftp://example/x.snapshot with scheme ftp is not supported');

    res = await checked('PUT', '/collections/rec/snapshots/recover', { body: { priority: 'snapshot' } });
    expectError(res, 400, /^Format error in JSON body: missing field `location`/);
  });
});

describe('full storage snapshots', () => {
  it('create, list, download, delete', async () => {
    let res = await checked('POST', '/snapshots?wait=true');
    expectOk(res);
    const d = res.json.result;
    expect(d.name).toMatch(/^full-snapshot-\d{4}(-\d{2}){5}\.snapshot$/);

    res = await checked('GET', '/snapshots');
    expect(res.json.result).toContainEqual(d);

    const dl = await download(`${emu.url}/snapshots/${d.name}`);
    exercised.add(`GET /snapshots/{snapshot_name} ${dl.status}`);
    expect(dl.sha256).toBe(d.checksum);

    res = await checked('POST', '/snapshots?wait=false');
    expect(res.status).toBe(202);

    res = await checked('DELETE', `/snapshots/${d.name}`);
    expect(res.json.result).toBe(true);

    res = await checked('GET', `/snapshots/${d.name}`);
    expect(res.status).toBe(404);
    expect(res.contentType).toMatch(/^text\/plain/);

    res = await checked('DELETE', `/snapshots/${d.name}`);
    expectError(res, 404);
  });
});

describe('auth responses', () => {
  let secured: Emulator;
  let sdir: string;
  beforeAll(async () => {
    sdir = await tempDir();
    secured = await startEmulator({ dataDir: sdir, apiKey: 'rw', readOnlyKey: 'ro' });
    await secured.createCollection('c', { vectors: { size: 2, distance: 'Dot' } });
  });
  afterAll(async () => {
    await secured.close();
    await fsp.rm(sdir, { recursive: true, force: true });
  });

  it('401 is text/plain (auth middleware), 403 is the JSON envelope', async () => {
    let res = await call(secured.url, 'GET', '/collections');
    expect(res.status).toBe(401);
    expect(res.contentType).toMatch(/^text\/plain/);
    expect(contract.check('GET', '/collections', 401, undefined, res.contentType).validated).toBe(false);

    res = await call(secured.url, 'POST', '/collections/c/snapshots', { headers: { 'api-key': 'ro' } });
    const c = contract.check('POST', '/collections/c/snapshots', res.status, res.json, res.contentType);
    expect(c.errors).toEqual([]);
    expect(c.validated).toBe(true);
    expectError(res, 403, 'Forbidden: Global manage access is required');
  });
});

describe('coverage', () => {
  it('the validator does reject bodies that break the spec', () => {
    const bad = contract.check('GET', '/collections/x', 200, {
      result: { status: 'blue' },
      status: 'ok',
      time: 0,
    });
    expect(bad.validated).toBe(true);
    expect(bad.errors.length).toBeGreaterThan(0);
    const badSnap = contract.check('POST', '/collections/x/snapshots', 200, {
      result: { name: 1 },
      status: 'ok',
    });
    expect(badSnap.errors.length).toBeGreaterThan(0);
  });

  it('every exercised method/path exists in the spec', () => {
    for (const e of exercised) {
      const [method, template] = e.split(' ');
      expect(contract.spec.paths[template!]?.[method!.toLowerCase()], e).toBeDefined();
    }
    // the endpoints the action relies on were all exercised
    for (const need of [
      'GET / 200',
      'GET /readyz 200',
      'GET /collections 200',
      'GET /collections/{collection_name} 200',
      'GET /collections/{collection_name} 404',
      'POST /collections/{collection_name}/points/count 200',
      'GET /aliases 200',
      'POST /collections/aliases 200',
      'POST /collections/{collection_name}/snapshots 200',
      'POST /collections/{collection_name}/snapshots 202',
      'GET /collections/{collection_name}/snapshots 200',
      'GET /collections/{collection_name}/snapshots/{snapshot_name} 200',
      'DELETE /collections/{collection_name}/snapshots/{snapshot_name} 200',
      'POST /collections/{collection_name}/snapshots/upload 200',
      'POST /collections/{collection_name}/snapshots/upload 400',
      'PUT /collections/{collection_name}/snapshots/recover 200',
    ]) {
      expect(exercised, need).toContain(need);
    }
    expect(fs.existsSync(contract.specPath)).toBe(true);
  });
});
