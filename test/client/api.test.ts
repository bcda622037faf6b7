// The client against Qdrant's API, without faults: runs on the emulator, and unchanged on a real Qdrant
// when QDRANT_URL (and QDRANT_API_KEY) are set.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QdrantClient, uploadedSnapshotName } from '../../src/qdrant/client.js';
import { QdrantError } from '../../src/qdrant/errors.js';
import type { SnapshotDescription } from '../../src/qdrant/types.js';
import { startTarget, type Target } from '../helpers/target.js';
import { failure, filesIn, seedCollection, sha256File, targetClient, tempDir } from './helpers.js';

let target: Target;
let client: QdrantClient;
let dir: string;
let source: string;
let other: string;
const POINTS = 40;

beforeAll(async () => {
  target = await startTarget();
  ({ client } = targetClient(target));
  dir = await tempDir();
  source = `${target.prefix}books`;
  other = `${target.prefix}films`;
  await seedCollection(target, source, POINTS);
  await seedCollection(target, other, 3, 4);
});

afterAll(async () => {
  await client.close();
  await target.close();
  await rm(dir, { recursive: true, force: true });
});

describe('server', () => {
  it('version() reads GET / (title, version)', async () => {
    const info = await client.version();
    expect(info.title).toMatch(/qdrant/i);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('strips trailing slashes from the URL', async () => {
    const slashed = new QdrantClient({ url: `${target.url}//`, apiKey: target.apiKey, timeoutMs: 5_000 });
    try {
      expect(slashed.url).toBe(target.url);
      expect(await slashed.listCollections()).toContain(source);
    } finally {
      await slashed.close();
    }
  });
});

describe('collections', () => {
  it('listCollections() is sorted and holds the seeded collections', async () => {
    const names = await client.listCollections();
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining([source, other]));
  });

  it('collectionInfo() returns the typed config', async () => {
    const info = await client.collectionInfo(source);
    expect(info.status).toBe('green');
    expect(info.config.params.vectors).toMatchObject({ size: 8, distance: 'Dot' });
  });

  it('exactCount() counts every point', async () => {
    expect(await client.exactCount(source)).toBe(POINTS);
    expect(await client.exactCount(other)).toBe(3);
  });

  it('a missing collection is a 404 QdrantError whose hint names the collections that exist', async () => {
    const missing = `${target.prefix}nope`;
    const { error } = await failure<QdrantError>(() => client.collectionInfo(missing));
    expect(error).toBeInstanceOf(QdrantError);
    expect(error.status).toBe(404);
    expect(error.details.path).toBe(`/collections/${missing}`);
    expect(error.details.qdrantMessage).toMatch(/doesn't exist|not found/i);
    expect(error.message).toContain(`GET /collections/${missing}`);
    expect(error.message).toContain(error.details.qdrantMessage!);
    expect(error.message).toMatch(/Collections at /);
    expect(error.message).toContain(source);
    expect(error.message).toContain(other);
    expect(error.retryable).toBe(false);
  });

  it('a missing collection on exactCount() gets the same hint', async () => {
    const { error } = await failure<QdrantError>(() => client.exactCount(`${target.prefix}nope`));
    expect(error.status).toBe(404);
    expect(error.message).toContain(source);
  });
});

describe('aliases', () => {
  it('updateAliases() creates and deletes; aliases() lists them', async () => {
    const alias = `${target.prefix}current`;
    await client.updateAliases([{ create_alias: { collection_name: source, alias_name: alias } }]);
    expect(await client.aliases()).toContainEqual({ alias_name: alias, collection_name: source });
    await client.updateAliases([{ delete_alias: { alias_name: alias } }]);
    expect((await client.aliases()).map((a) => a.alias_name)).not.toContain(alias);
  });
});

describe('snapshots', () => {
  let snapshot: SnapshotDescription;
  let file: string;

  beforeAll(async () => {
    snapshot = await client.createSnapshot(source);
    file = path.join(dir, 'books.snapshot');
  });

  afterAll(async () => {
    for (const c of [source, `${target.prefix}restored`, `${target.prefix}restored2`]) {
      const list = await client.listSnapshots(c).catch(() => []);
      for (const s of list) await client.deleteSnapshot(c, s.name).catch(() => {});
    }
  });

  it('createSnapshot() returns name, size and a SHA-256 checksum', () => {
    expect(snapshot.name).toMatch(new RegExp(`^${source}-.*\\.snapshot$`));
    expect(snapshot.size).toBeGreaterThan(0);
    expect(snapshot.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('listSnapshots() lists it with the same checksum', async () => {
    const list = await client.listSnapshots(source);
    expect(list.find((s) => s.name === snapshot.name)).toMatchObject({
      size: snapshot.size,
      checksum: snapshot.checksum,
    });
  });

  it('downloadSnapshot() streams to the file and hashes it in the same pass', async () => {
    const progress: [number, number | undefined][] = [];
    const result = await client.downloadSnapshot(source, snapshot.name, file, {
      expectedSha256: snapshot.checksum!,
      onProgress: (bytes, total) => progress.push([bytes, total]),
    });
    expect(result).toEqual({
      size: snapshot.size,
      sha256: snapshot.checksum,
      storedSize: snapshot.size,
      storedSha256: snapshot.checksum,
    });
    expect(await sha256File(file)).toBe(snapshot.checksum);
    expect(progress.at(-1)).toEqual([snapshot.size, snapshot.size]);
    expect(await filesIn(dir)).toEqual(['books.snapshot']);
  });

  it('downloadSnapshot() with a transform hashes the wire and the disk separately', async () => {
    const stored = path.join(dir, 'books.xor');
    const xor = async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) yield chunk.map((b) => b ^ 0x5a);
    };
    const result = await client.downloadSnapshot(source, snapshot.name, stored, { transform: xor });
    const bytes = await readFile(stored);
    expect(result.sha256).toBe(snapshot.checksum);
    expect(result.storedSize).toBe(bytes.length);
    expect(result.storedSha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(result.storedSha256).not.toBe(result.sha256);
    expect(Buffer.from(bytes.map((b) => b ^ 0x5a))).toEqual(await readFile(file));
    await rm(stored);
  });

  it('uploadSnapshot() recovers a new collection with every point (priority=snapshot)', async () => {
    const restored = `${target.prefix}restored`;
    await client.uploadSnapshot(restored, file, { checksum: snapshot.checksum! });
    expect(await client.exactCount(restored)).toBe(POINTS);
    expect((await client.collectionInfo(restored)).config.params.vectors).toMatchObject({ size: 8 });
    // Qdrant keeps the uploaded file among the collection's snapshots: the client removes it.
    expect((await client.listSnapshots(restored)).map((s) => s.name)).not.toContain(
      uploadedSnapshotName(restored),
    );
  });

  it('uploadSnapshot() with a wrong checksum fails with 400 and is not retried', async () => {
    const restored = `${target.prefix}restored2`;
    const before = target.emulator?.requests.length ?? 0;
    const { error } = await failure<QdrantError>(() =>
      client.uploadSnapshot(restored, file, { checksum: 'ab'.repeat(32) }),
    );
    expect(error).toBeInstanceOf(QdrantError);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/checksum/i);
    expect(error.details.path).toBe(`/collections/${restored}/snapshots/upload`);
    if (target.emulator) {
      const uploads = target.emulator.requests.slice(before).filter((r) => r.path.endsWith('/upload'));
      expect(uploads).toHaveLength(1);
    }
    expect(await client.listCollections()).not.toContain(restored);
  });

  it('downloading a snapshot that does not exist is a 404 naming the snapshot, no file left', async () => {
    const dest = path.join(dir, 'missing.snapshot');
    const { error } = await failure<QdrantError>(() =>
      client.downloadSnapshot(source, 'nope.snapshot', dest),
    );
    expect(error).toBeInstanceOf(QdrantError);
    expect(error.status).toBe(404);
    expect(error.message).toContain(`/collections/${source}/snapshots/nope.snapshot`);
    expect(error.message).toMatch(/not found/i);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.partial`)).toBe(false);
  });

  it('a download from a missing collection is a 404 whose hint names the collections (text/plain body)', async () => {
    const missing = `${target.prefix}gone`;
    const dest = path.join(dir, 'gone.snapshot');
    const { error } = await failure<QdrantError>(() => client.downloadSnapshot(missing, snapshot.name, dest));
    expect(error.status).toBe(404);
    expect(error.details.qdrantMessage).toMatch(/^Not found: Collection .* (doesn't|does not) exist/);
    expect(error.message).toMatch(/Collections at /);
    expect(error.message).toContain(source);
    expect(existsSync(dest)).toBe(false);
  });

  it('a missing snapshot whose name says "collection" does not get the collections hint', async () => {
    const { error } = await failure<QdrantError>(() =>
      client.downloadSnapshot(source, 'old-collection-1.snapshot', path.join(dir, 'old.snapshot')),
    );
    expect(error.status).toBe(404);
    expect(error.message).not.toMatch(/Collections at /);
  });

  it('a destination folder that does not exist is a local error, not retried', async () => {
    const { client: counted, retries } = targetClient(target);
    try {
      const dest = path.join(dir, 'no-such-folder', 'x.snapshot');
      const { error } = await failure(() => counted.downloadSnapshot(source, snapshot.name, dest));
      expect(error).not.toBeInstanceOf(QdrantError);
      expect(error.message).toContain(path.join(dir, 'no-such-folder'));
      expect(error.message).toMatch(/ENOENT/);
      expect(retries).toEqual([]);
    } finally {
      await counted.close();
    }
  });

  it('a transform that throws fails the download once, not retried, no file left', async () => {
    const { client: counted, retries } = targetClient(target);
    try {
      const dest = path.join(dir, 'broken.snapshot');
      const broken = async function* (chunks: AsyncIterable<Buffer>): AsyncIterable<Uint8Array> {
        for await (const chunk of chunks) {
          yield chunk;
          throw new Error('cipher exploded');
        }
      };
      const { error } = await failure(() =>
        counted.downloadSnapshot(source, snapshot.name, dest, { transform: broken }),
      );
      expect(error.message).toContain('cipher exploded');
      expect(retries).toEqual([]);
      expect(existsSync(dest)).toBe(false);
      expect(existsSync(`${dest}.partial`)).toBe(false);
    } finally {
      await counted.close();
    }
  });

  it('deleteSnapshot() removes it', async () => {
    await client.deleteSnapshot(source, snapshot.name);
    expect((await client.listSnapshots(source)).map((s) => s.name)).not.toContain(snapshot.name);
  });
});
