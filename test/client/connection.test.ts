// What the user sees when the URL or the key is wrong: nothing listening, not Qdrant, TLS to a plain
// port, a missing / wrong / read-only key. The key never appears in any error.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type QdrantClient } from '../../src/qdrant/client.js';
import { QdrantError } from '../../src/qdrant/errors.js';
import { probeReady } from '../../src/server/ready.js';
import { type Emulator } from '../emulator/index.js';
import { SHARED_QDRANT, startTarget, type Target } from '../helpers/target.js';
import { closedPort, failure, makeClient, plainServer, tempDir } from './helpers.js';

const clients: QdrantClient[] = [];
const connect = (...args: Parameters<typeof makeClient>) => {
  const made = makeClient(...args);
  clients.push(made.client);
  return made;
};
afterAll(async () => {
  for (const c of clients) await c.close();
});

describe('nothing listening', () => {
  it('connection refused: "Cannot connect to Qdrant at URL ... Is Qdrant running", after retries', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { client, retries } = connect(url, { retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 } });
    const { error } = await failure<QdrantError>(() => client.listCollections());
    expect(error).toBeInstanceOf(QdrantError);
    expect(error.details.code).toBe('ECONNREFUSED');
    expect(error.message).toContain(`Cannot connect to Qdrant at ${url}`);
    expect(error.message).toContain('Is Qdrant running');
    expect(error.message).toContain('GET /collections');
    expect(retries).toHaveLength(2);
  });
});

describe('a URL that is not Qdrant', () => {
  let html: Awaited<ReturnType<typeof plainServer>>;
  let notFound: Awaited<ReturnType<typeof plainServer>>;
  let json: Awaited<ReturnType<typeof plainServer>>;

  beforeAll(async () => {
    html = await plainServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><html><body>Dashboard</body></html>');
    });
    notFound = await plainServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found');
    });
    json = await plainServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"hello":"world"}');
    });
  });
  afterAll(async () => {
    await Promise.all([html.close(), notFound.close(), json.close()]);
  });

  it('HTML 200 everywhere: version() and listCollections() fail with NOT_QDRANT, not retried', async () => {
    const { client, retries } = connect(html.url);
    for (const call of [
      () => client.version(),
      () => client.listCollections(),
      () => client.exactCount('x'),
    ]) {
      const { error } = await failure<QdrantError>(call);
      expect(error).toBeInstanceOf(QdrantError);
      expect(error.details.code).toBe('NOT_QDRANT');
      expect(error.message).toContain(`${html.url} is not a Qdrant REST API`);
      expect(error.message).toContain('an HTML page');
    }
    expect(retries).toEqual([]);
    expect(html.requests).toEqual(['GET /', 'GET /collections', 'POST /collections/x/points/count']);
  });

  it('404 everywhere: version(), listCollections() and collectionInfo() fail with NOT_QDRANT', async () => {
    const { client, retries } = connect(notFound.url);
    for (const call of [
      () => client.version(),
      () => client.listCollections(),
      () => client.collectionInfo('c'),
    ]) {
      const { error } = await failure<QdrantError>(call);
      expect(error).toBeInstanceOf(QdrantError);
      expect(error.details.code).toBe('NOT_QDRANT');
      expect(error.message).toContain(`${notFound.url} is not a Qdrant REST API`);
      expect(error.message).toContain('404');
    }
    expect(retries).toEqual([]);
  });

  it('JSON without the version or the result envelope: NOT_QDRANT', async () => {
    const { client } = connect(json.url);
    const { error: noVersion } = await failure<QdrantError>(() => client.version());
    expect(noVersion.details.code).toBe('NOT_QDRANT');
    expect(noVersion.message).toMatch(/no version field/);
    const { error: noEnvelope } = await failure<QdrantError>(() => client.listCollections());
    expect(noEnvelope.details.code).toBe('NOT_QDRANT');
    expect(noEnvelope.message).toMatch(/result envelope/);
  });
});

describe('TLS to a plain port', () => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await target.close();
  });

  it.skipIf(!/^http:/.test(process.env.QDRANT_URL ?? 'http:'))(
    'https:// to the plain HTTP port: a TLS error that says so, not retried',
    async () => {
      const url = target.url.replace(/^http:/, 'https:');
      const { client, retries } = connect(url, { apiKey: target.apiKey });
      const { error } = await failure<QdrantError>(() => client.listCollections());
      expect(error).toBeInstanceOf(QdrantError);
      expect(error.details.code).toBe('TLS');
      expect(error.message).toContain(`TLS handshake with ${url} failed`);
      expect(error.message).toMatch(/plain HTTP: use an http:\/\/ URL/);
      expect(retries).toEqual([]);
    },
  );
});

// Auth against a server started with a write key and a read-only key (an emulator, or a real node with
// QDRANT_BINARY); against a shared real Qdrant (QDRANT_URL) only when it has a key.
describe.skipIf(SHARED_QDRANT && !process.env.QDRANT_API_KEY)('api-key', () => {
  const KEY = SHARED_QDRANT ? process.env.QDRANT_API_KEY! : 'sk-Distinctive-Write-Key-7f3a9c';
  const READ_ONLY = 'ro-Distinctive-Read-Key-b41d02';
  const WRONG = 'wrong-Distinctive-Key-55e1aa';
  let target: Target;
  let dir: string;
  let url: string;
  let collection: string;
  const secrets = [KEY, READ_ONLY, WRONG];

  /** Neither key appears in the message, the onRetry texts, or anything inspect() shows of the error. */
  const expectNoKey = (error: unknown, retries: string[] = []) => {
    const texts = [String(error), inspect(error, { depth: 10 }), JSON.stringify(error) ?? '', ...retries];
    for (const secret of secrets) for (const text of texts) expect(text).not.toContain(secret);
  };

  beforeAll(async () => {
    dir = await tempDir();
    target = await startTarget({ apiKey: KEY, readOnlyKey: READ_ONLY });
    url = target.url;
    collection = `${target.prefix}c`;
  });
  afterAll(async () => {
    await target.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the right key works; GET / and /readyz need none', async () => {
    expect(await connect(url, { apiKey: KEY }).client.listCollections()).toBeInstanceOf(Array);
    const { client } = connect(url);
    expect((await client.version()).version).toMatch(/^\d+\./);
    expect(await probeReady(url, 5_000)).toBeUndefined();
  });

  it('no key: 401 with the api-key hint, not retried', async () => {
    const { client, retries } = connect(url);
    const { error } = await failure<QdrantError>(() => client.listCollections());
    expect(error).toBeInstanceOf(QdrantError);
    expect(error.status).toBe(401);
    expect(error.message).toContain('GET /collections');
    expect(error.message).toMatch(/Must provide an API key/);
    expect(error.message).toContain("Check 'api-key'");
    expect(retries).toEqual([]);
  });

  it('a wrong key: 401 with the hint, and the key is nowhere in the error', async () => {
    const { client, retries } = connect(url, { apiKey: WRONG });
    const { error } = await failure<QdrantError>(() => client.aliases());
    expect(error.status).toBe(401);
    expect(error.message).toContain("Check 'api-key'");
    expect(error.details.path).toBe('/aliases');
    expectNoKey(error, retries);
  });

  it.skipIf(SHARED_QDRANT)(
    'a read-only key: reads pass, snapshot creation is 403 "needs write access"',
    async () => {
      await target.call('PUT', `/collections/${collection}`, { vectors: { size: 2, distance: 'Dot' } });
      const { client, retries } = connect(url, { apiKey: READ_ONLY });
      expect(await client.listCollections()).toEqual([collection]);
      const { error } = await failure<QdrantError>(() => client.createSnapshot(collection));
      expect(error.status).toBe(403);
      expect(error.details.qdrantMessage).toMatch(/Forbidden/);
      expect(error.message).toContain(`POST /collections/${collection}/snapshots`);
      expect(error.message).toMatch(/read-only.*backup\) needs write access.*restoring needs manage access/);
      expect(retries).toEqual([]);
      expectNoKey(error, retries);
    },
  );

  it.skipIf(SHARED_QDRANT)(
    'a read-only key: upload is 403 (text/plain) "restoring needs manage access"',
    async () => {
      const snapshotFile = path.join(dir, 'c.snapshot');
      const writer = connect(url, { apiKey: KEY }).client;
      const made = await writer.createSnapshot(collection);
      await writer.downloadSnapshot(collection, made.name, snapshotFile, { expectedSha256: made.checksum! });
      const { client, retries } = connect(url, { apiKey: READ_ONLY });
      const { error } = await failure<QdrantError>(() =>
        client.uploadSnapshot('restored', snapshotFile, { checksum: made.checksum! }),
      );
      expect(error.status).toBe(403);
      expect(error.message).toContain('POST /collections/restored/snapshots/upload');
      expect(error.message).toMatch(/Forbidden/);
      expect(error.message).toMatch(/Restoring needs manage access to the whole server/);
      expectNoKey(error, retries);
      expect(existsSync(snapshotFile)).toBe(true);
    },
  );

  // A fault is injected: on an emulator of its own in every mode.
  it('retried failures (503) do not leak the key in onRetry messages either', async () => {
    const faulty = await startTarget({ emulator: true, apiKey: KEY });
    try {
      const emu = faulty.emulator!;
      await seedCollectionOn(emu, 'counted');
      emu.inject({ route: 'points.count', failNext: { count: 2, status: 503 } });
      const { client, retries } = connect(faulty.url, { apiKey: KEY });
      expect(await client.exactCount('counted')).toBe(3);
      expect(retries).toHaveLength(2);
      expectNoKey(undefined, retries);
    } finally {
      await faulty.close();
    }
  });
});

async function seedCollectionOn(emu: Emulator, name: string) {
  await emu.createCollection(name, { vectors: { size: 2, distance: 'Dot' } });
  await emu.upsertPoints(
    name,
    [1, 2, 3].map((id) => ({ id, vector: [id, 1] })),
  );
}
