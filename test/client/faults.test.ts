// Every fault the emulator can inject, met through the client, with the outcome asserted.
// Fault injection needs the emulator: these run on it whatever real Qdrant the suite has.
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChecksumMismatchError, type QdrantClient } from '../../src/qdrant/client.js';
import { QdrantError } from '../../src/qdrant/errors.js';
import type { SnapshotDescription } from '../../src/qdrant/types.js';
import { writeSnapshotFile, type Emulator } from '../emulator/index.js';
import { startTarget, type Target } from '../helpers/target.js';
import { failure, filesIn, seedCollection, sha256File, targetClient, tempDir } from './helpers.js';

let target: Target;
let emu: Emulator;
let dir: string;
/** A collection backed by a ~512 KiB snapshot: big enough to cut, throttle and restart mid-way. */
const BIG = 'big';
const BIG_POINTS = 2048;
let big: SnapshotDescription;
let bigFile: string;
const SMALL = 'small';

describe('faults, through the client', () => {
  beforeAll(async () => {
    target = await startTarget({ emulator: true });
    emu = target.emulator!;
    dir = await tempDir();
    const made = await writeSnapshotFile(path.join(dir, 'big.source'), {
      collection: BIG,
      randomPoints: { count: BIG_POINTS, dim: 64 },
    });
    await emu.addCollectionFromSnapshot(BIG, path.join(dir, 'big.source'), { sha256: made.sha256 });
    await seedCollection(target, SMALL, 20);
    const { client } = targetClient(target);
    big = await client.createSnapshot(BIG);
    bigFile = path.join(dir, 'big.snapshot');
    await client.downloadSnapshot(BIG, big.name, bigFile, { expectedSha256: big.checksum! });
    await client.close();
  });

  afterAll(async () => {
    await target?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const clients: QdrantClient[] = [];
  let out: string;
  beforeEach(async () => {
    out = await tempDir('client-out-');
  });
  afterEach(async () => {
    emu.clearFaults();
    for (const c of clients.splice(0)) await c.close();
    await rm(out, { recursive: true, force: true });
  });
  const connect = (options: Parameters<typeof targetClient>[1] = {}) => {
    const made = targetClient(target, options);
    clients.push(made.client);
    return made;
  };
  /** Requests recorded from now on. */
  const mark = () => {
    const start = emu.requests.length;
    return () => emu.requests.slice(start);
  };

  describe('latency and deadlines', () => {
    it('latency within the deadline succeeds', async () => {
      const { client } = connect({ timeoutMs: 2_000 });
      emu.inject({ route: 'collection.info', collection: SMALL, latencyMs: 200 });
      const started = Date.now();
      const info = await client.collectionInfo(SMALL);
      expect(info.config.params.vectors).toMatchObject({ size: 8 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    });

    it('latency beyond the deadline is a TIMEOUT naming the path and the elapsed seconds, not retried', async () => {
      const { client, retries } = connect({ timeoutMs: 300 });
      emu.inject({ route: 'collection.info', collection: SMALL, latencyMs: 3_000 });
      const requests = mark();
      const { error, ms } = await failure<QdrantError>(() => client.collectionInfo(SMALL));
      expect(error).toBeInstanceOf(QdrantError);
      expect(error.details.code).toBe('TIMEOUT');
      expect(error.details.path).toBe(`/collections/${SMALL}`);
      expect(error.message).toContain(`GET /collections/${SMALL}`);
      expect(error.message).toMatch(/within 0\.3 s \(gave up after 0\.[34] s\)/);
      expect(ms).toBeLessThan(1_000);
      expect(retries).toEqual([]);
      expect(requests()).toHaveLength(1);
    });

    it('hang: the deadline fires', async () => {
      const { client } = connect({ timeoutMs: 250 });
      emu.inject({ route: 'points.count', collection: SMALL, hang: true });
      const { error, ms } = await failure<QdrantError>(() => client.exactCount(SMALL));
      expect(error.details.code).toBe('TIMEOUT');
      expect(error.message).toContain(`POST /collections/${SMALL}/points/count`);
      expect(ms).toBeGreaterThanOrEqual(240);
      expect(ms).toBeLessThan(1_000);
    });

    it('a download slower than the deadline is a TIMEOUT too (the deadline covers the body), no file left', async () => {
      const { client } = connect({ timeoutMs: 400 });
      emu.inject({ route: 'snapshot.download', throttleBytesPerSec: 256 * 1024 });
      const dest = path.join(out, 'slow.snapshot');
      const { error, ms } = await failure<QdrantError>(() => client.downloadSnapshot(BIG, big.name, dest));
      expect(error).toBeInstanceOf(QdrantError);
      expect(error.details.code).toBe('TIMEOUT');
      expect(error.message).toContain(`/collections/${BIG}/snapshots/${big.name}`);
      expect(ms).toBeLessThan(1_500);
      expect(await filesIn(out)).toEqual([]);
    });

    it('createDelayMs: creation waits for the server, then succeeds', async () => {
      const { client } = connect({ timeoutMs: 3_000 });
      emu.inject({ route: 'snapshot.create', collection: SMALL, createDelayMs: 400 });
      const started = Date.now();
      const made = await client.createSnapshot(SMALL);
      expect(Date.now() - started).toBeGreaterThanOrEqual(390);
      expect(emu.snapshotFiles(SMALL)).toContain(made.name);
      await client.deleteSnapshot(SMALL, made.name);
    });

    it('an aborted signal cancels a download: ABORTED, not retried, no file left', async () => {
      const { client, retries } = connect();
      emu.inject({ route: 'snapshot.download', throttleBytesPerSec: 256 * 1024 });
      const dest = path.join(out, 'cancelled.snapshot');
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 150);
      const { error } = await failure<QdrantError>(() =>
        client.downloadSnapshot(BIG, big.name, dest, { signal: controller.signal }),
      );
      expect(error.details.code).toBe('ABORTED');
      expect(retries).toEqual([]);
      expect(await filesIn(out)).toEqual([]);
    });
  });

  describe('retries', () => {
    it('503 twice, then success: retried with backoff', async () => {
      const { client, retries } = connect();
      emu.inject({ route: 'collections.list', failNext: { count: 2, status: 503 } });
      const requests = mark();
      expect(await client.listCollections()).toEqual([BIG, SMALL]);
      expect(requests().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
        'GET /collections 503',
        'GET /collections 503',
        'GET /collections 200',
      ]);
      expect(retries).toHaveLength(2);
      expect(retries[0]).toMatch(/503 to GET \/collections.*Retrying in .* s \(attempt 2 of 5\)/);
    });

    it('5xx on every attempt: gives up after `attempts` with the last status', async () => {
      const { client } = connect({ retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 } });
      emu.inject({ route: 'collection.info', failNext: { count: 10, status: 500, message: 'boom' } });
      const requests = mark();
      const { error } = await failure<QdrantError>(() => client.collectionInfo(SMALL));
      expect(error.status).toBe(500);
      expect(error.details.qdrantMessage).toBe('boom');
      expect(error.message).toMatch(/failed internally/);
      expect(requests()).toHaveLength(3);
    });

    it('429 with Retry-After: 1 waits at least a second before the next attempt', async () => {
      const { client, retries } = connect();
      emu.inject({ route: 'points.count', failNext: { count: 1, status: 429, retryAfter: 1 } });
      const requests = mark();
      const started = Date.now();
      expect(await client.exactCount(SMALL)).toBe(20);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect(requests().map((r) => r.status)).toEqual([429, 200]);
      expect(retries[0]).toMatch(/429.*rate limiting.*Retrying in 1\.0 s/is);
    });

    it('snapshot creation: the server made it but the answer was cut; the retry adopts it, no second creation', async () => {
      const { client, retries } = connect();
      const before = emu.snapshotFiles(SMALL);
      // resetAfterBytes: 0 on a JSON answer: the snapshot is written, then the socket is cut before the body
      const rule = emu.inject({ route: 'snapshot.create', collection: SMALL, resetAfterBytes: 0 });
      const requests = mark();
      const made = await client.createSnapshot(SMALL);
      expect(rule.removed).toBe(true);
      expect(retries).toHaveLength(1);
      const creations = requests().filter((r) => r.method === 'POST' && r.path.endsWith('/snapshots'));
      expect(creations).toHaveLength(1);
      // The snapshot of the first attempt is the one returned: nothing else was made.
      expect(emu.snapshotFiles(SMALL)).toEqual([...before, made.name].sort());
      expect((await client.listSnapshots(SMALL)).map((s) => s.name)).toEqual([made.name]);
      await client.deleteSnapshot(SMALL, made.name);
    });

    it('snapshot creation: the connection drops while the server is still writing; the retry waits for it', async () => {
      const { client, retries } = connect();
      const before = emu.snapshotFiles(SMALL);
      // The first creation outlives its connection and lands only after the retry has started.
      emu.inject({ route: 'snapshot.create', collection: SMALL, createDelayMs: 300 });
      const requests = mark();
      const creating = client.createSnapshot(SMALL);
      await sleep(100);
      await emu.restart({ downMs: 50 });
      const made = await creating;
      expect(retries.length).toBeGreaterThanOrEqual(1);
      expect(requests().filter((r) => r.method === 'POST' && r.path.endsWith('/snapshots'))).toHaveLength(1);
      expect(emu.snapshotFiles(SMALL)).toEqual([...before, made.name].sort());
      await client.deleteSnapshot(SMALL, made.name);
    });

    it('resetAfterBytes mid-download: retried, the file is byte-identical, no .partial left', async () => {
      const { client, retries } = connect();
      emu.inject({ route: 'snapshot.download', resetAfterBytes: 100_000 });
      const requests = mark();
      const dest = path.join(out, 'reset.snapshot');
      const result = await client.downloadSnapshot(BIG, big.name, dest, { expectedSha256: big.checksum! });
      expect(result.sha256).toBe(big.checksum);
      expect(await sha256File(dest)).toBe(big.checksum);
      expect(await filesIn(out)).toEqual(['reset.snapshot']);
      expect(requests().filter((r) => r.method === 'GET')).toHaveLength(2);
      expect(retries[0]).toMatch(/connection .* broke|terminated|closed/i);
    });

    it('resetAfterBytes mid-upload: the file is sent whole again and the collection is restored', async () => {
      const { client, retries } = connect();
      const name = 'big_restored';
      emu.inject({ route: 'snapshot.upload', resetAfterBytes: 100_000 });
      const requests = mark();
      await client.uploadSnapshot(name, bigFile, { checksum: big.checksum! });
      expect(await client.exactCount(name)).toBe(BIG_POINTS);
      expect(requests().filter((r) => r.path.endsWith('/upload'))).toHaveLength(2);
      expect(retries).toHaveLength(1);
      // The copy Qdrant keeps of an upload is removed by the client.
      expect(emu.snapshotFiles(name)).toEqual([]);
    });

    it('server restart mid-download: the dropped connection is retried and the download finishes', async () => {
      const { client, retries } = connect({ retry: { attempts: 10, baseDelayMs: 20, maxDelayMs: 200 } });
      emu.inject({ route: 'snapshot.download', throttleBytesPerSec: 1024 * 1024, times: 1 });
      const dest = path.join(out, 'restart.snapshot');
      const requests = mark();
      const download = client.downloadSnapshot(BIG, big.name, dest, { expectedSha256: big.checksum! });
      await sleep(150);
      await emu.restart({ downMs: 300 });
      const result = await download;
      expect(result.sha256).toBe(big.checksum);
      expect(await sha256File(dest)).toBe(big.checksum);
      expect(retries.length).toBeGreaterThanOrEqual(1);
      expect(requests().filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(2);
      expect(await filesIn(out)).toEqual(['restart.snapshot']);
    });
  });

  describe('bytes', () => {
    it('throttle: the download is still correct and onProgress sees increasing bytes', async () => {
      const { client } = connect();
      emu.inject({ route: 'snapshot.download', throttleBytesPerSec: 2 * 1024 * 1024 });
      const dest = path.join(out, 'throttled.snapshot');
      const seen: number[] = [];
      const totals = new Set<number | undefined>();
      const result = await client.downloadSnapshot(BIG, big.name, dest, {
        expectedSha256: big.checksum!,
        onProgress: (bytes, total) => {
          seen.push(bytes);
          totals.add(total);
        },
      });
      expect(result.size).toBe(big.size);
      expect(await sha256File(dest)).toBe(big.checksum);
      expect(seen.length).toBeGreaterThan(5);
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!);
      expect(seen.at(-1)).toBe(big.size);
      expect([...totals]).toEqual([big.size]);
    });

    it('flipByteAt: a corrupted download is a ChecksumMismatchError, no file left', async () => {
      const { client } = connect();
      emu.inject({ route: 'snapshot.download', flipByteAt: 4_096 });
      const dest = path.join(out, 'flipped.snapshot');
      const { error } = await failure<ChecksumMismatchError>(() =>
        client.downloadSnapshot(BIG, big.name, dest, { expectedSha256: big.checksum! }),
      );
      expect(error).toBeInstanceOf(ChecksumMismatchError);
      expect(error.expected).toBe(big.checksum);
      expect(error.actual).not.toBe(big.checksum);
      expect(error.message).toContain(big.name);
      expect(await filesIn(out)).toEqual([]);
    });

    it('wrongChecksum: the advertised checksum does not match the bytes -> ChecksumMismatchError', async () => {
      const { client } = connect();
      emu.inject({ route: 'snapshot.create', collection: SMALL, wrongChecksum: true });
      const made = await client.createSnapshot(SMALL);
      const dest = path.join(out, 'wrong.snapshot');
      const { error } = await failure<ChecksumMismatchError>(() =>
        client.downloadSnapshot(SMALL, made.name, dest, { expectedSha256: made.checksum! }),
      );
      expect(error).toBeInstanceOf(ChecksumMismatchError);
      expect(error.expected).toBe(made.checksum);
      expect(await filesIn(out)).toEqual([]);
      await client.deleteSnapshot(SMALL, made.name);
    });

    it('flipByteAt on an upload: the server refuses the checksum (400), not retried, nothing created', async () => {
      const { client, retries } = connect();
      const name = 'big_corrupted';
      emu.inject({ route: 'snapshot.upload', flipByteAt: 50_000 });
      const { error } = await failure<QdrantError>(() =>
        client.uploadSnapshot(name, bigFile, { checksum: big.checksum! }),
      );
      expect(error.status).toBe(400);
      expect(error.details.qdrantMessage).toMatch(/Checksum mismatch/);
      expect(error.message).toContain(`POST /collections/${name}/snapshots/upload`);
      expect(retries).toEqual([]);
      expect(await client.listCollections()).not.toContain(name);
    });

    it('recoverKeepFraction: the upload succeeds, exactCount reports the loss', async () => {
      const { client } = connect();
      const name = 'big_lossy';
      emu.inject({ route: 'snapshot.upload', recoverKeepFraction: 0.5 });
      await client.uploadSnapshot(name, bigFile, { checksum: big.checksum! });
      expect(await client.exactCount(name)).toBe(BIG_POINTS / 2);
    });
  });

  describe('errors that are not retried', () => {
    it('a 403 from failNext is not retried and carries the status and Qdrant text', async () => {
      const { client, retries } = connect();
      emu.inject({ route: 'aliases.list', failNext: { status: 403, message: 'Forbidden: nope' } });
      const requests = mark();
      const { error } = await failure<QdrantError>(() => client.aliases());
      expect(error.status).toBe(403);
      expect(error.details.qdrantMessage).toBe('Forbidden: nope');
      expect(error.message).toContain('GET /aliases: Forbidden: nope.');
      expect(retries).toEqual([]);
      expect(requests()).toHaveLength(1);
    });

    it('a 404 from failNext naming a collection gets the hint listing the collections', async () => {
      const { client, retries } = connect();
      emu.inject({
        route: 'collection.info',
        failNext: { status: 404, message: "Not found: Collection `small` doesn't exist!" },
      });
      const { error } = await failure<QdrantError>(() => client.collectionInfo(SMALL));
      expect(error.status).toBe(404);
      expect(error.message).toMatch(new RegExp(`Collections at ${emu.url}: ${BIG}, .*${SMALL}\\.$`));
      expect(retries).toEqual([]);
    });
  });
});
