// Fault injection: each effect observed from the outside, with raw HTTP.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { startEmulator, writeSnapshotFile, type Emulator } from './index.js';
import { call, download, sha256File, tempDir, uploadFile } from './helpers.js';

let emu: Emulator;
let dir: string;
let snapName: string;
let snapSum: string;
let snapSize: number;

beforeEach(async () => {
  dir = await tempDir();
  emu = await startEmulator({ dataDir: dir });
  await emu.createCollection('c', { vectors: { size: 16, distance: 'Dot' } });
  await emu.upsertPoints(
    'c',
    Array.from({ length: 200 }, (_, i) => ({
      id: i + 1,
      vector: Array.from({ length: 16 }, (_, j) => i + j / 16),
    })),
  );
  const d = (await call(emu.url, 'POST', '/collections/c/snapshots')).json.result;
  snapName = d.name;
  snapSum = d.checksum;
  snapSize = d.size;
});

afterEach(async () => {
  await emu.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

const snapUrl = () => `${emu.url}/collections/c/snapshots/${snapName}`;

async function count(collection: string): Promise<number> {
  const res = await call(emu.url, 'POST', `/collections/${collection}/points/count`, {
    body: { exact: true },
  });
  return res.status === 200 ? res.json.result.count : -res.status;
}

describe('fault rules', () => {
  it('latencyMs delays the answer', async () => {
    const rule = emu.inject({ route: 'collection.info', latencyMs: 250 });
    const t = Date.now();
    expect((await call(emu.url, 'GET', '/collections/c')).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(240);
    await call(emu.url, 'GET', '/collections');
    expect(rule.hits).toBe(1);
  });

  it('failNext answers the error envelope `count` times, with Retry-After, then is spent', async () => {
    const rule = emu.inject({ route: 'snapshot.create', failNext: { count: 2, status: 503, retryAfter: 3 } });
    for (let i = 0; i < 2; i++) {
      const res = await call(emu.url, 'POST', '/collections/c/snapshots');
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('3');
      expect(res.json).toEqual({ status: { error: expect.any(String) }, time: expect.any(Number) });
    }
    expect(rule.removed).toBe(true);
    expect(rule.hits).toBe(2);
    expect((await call(emu.url, 'POST', '/collections/c/snapshots')).status).toBe(200);
    emu.inject({
      route: 'points.count',
      failNext: { status: 429, message: 'Rate limiting exceeded: slow down' },
    });
    const res = await call(emu.url, 'POST', '/collections/c/points/count', { body: { exact: true } });
    expect(res.status).toBe(429);
    expect(res.json.status.error).toBe('Rate limiting exceeded: slow down');
  });

  it('a collection filter limits a rule to that collection; remove() and clearFaults() drop rules', async () => {
    await emu.createCollection('d', { vectors: { size: 2, distance: 'Dot' } });
    const rule = emu.inject({
      route: 'collection.info',
      collection: 'd',
      failNext: { count: 5, status: 500 },
    });
    expect((await call(emu.url, 'GET', '/collections/c')).status).toBe(200);
    expect((await call(emu.url, 'GET', '/collections/d')).status).toBe(500);
    rule.remove();
    expect((await call(emu.url, 'GET', '/collections/d')).status).toBe(200);
    emu.inject({ route: '*', failNext: { count: 9, status: 502 } });
    emu.inject({ route: 'root', failNext: { count: 9, status: 500 } });
    expect((await call(emu.url, 'GET', '/readyz')).status).toBe(502);
    emu.clearFaults();
    expect((await call(emu.url, 'GET', '/')).status).toBe(200);
  });

  it('resetAfterBytes cuts a download after K bytes, once by default', async () => {
    emu.inject({ route: 'snapshot.download', resetAfterBytes: 1000 });
    const cut = await download(snapUrl());
    expect(cut.error).toBeDefined();
    expect(cut.bytes).toBeLessThanOrEqual(1000);
    expect(cut.bytes).toBeGreaterThan(0);
    const ok = await download(snapUrl());
    expect(ok.error).toBeUndefined();
    expect(ok.sha256).toBe(snapSum);
  });

  it('resetAfterBytes on an upload cuts the request; nothing is recovered or left behind', async () => {
    const file = path.join(dir, 'c.snapshot');
    await download(snapUrl(), file);
    emu.inject({ route: 'snapshot.upload', resetAfterBytes: 2000, times: 1 });
    const up = await uploadFile(`${emu.url}/collections/u/snapshots/upload?priority=snapshot`, file);
    expect(up.error).toBeDefined();
    await new Promise((r) => setTimeout(r, 100));
    expect(await count('u')).toBe(-404);
    expect(emu.snapshotFiles('u')).toEqual([]);
    expect(await fsp.readdir(path.join(dir, 'tmp'))).toEqual([]);
    const again = await uploadFile(`${emu.url}/collections/u/snapshots/upload?priority=snapshot`, file);
    expect(again.status).toBe(200);
    expect(await count('u')).toBe(200);
  });

  it('throttleBytesPerSec paces downloads and uploads', async () => {
    const rate = Math.ceil(snapSize / 0.5); // the whole file in ~0.5 s
    const rule = emu.inject({ route: 'snapshot.download', throttleBytesPerSec: rate });
    let t = Date.now();
    const dl = await download(snapUrl(), path.join(dir, 'slow.snapshot'));
    expect(dl.sha256).toBe(snapSum);
    expect(Date.now() - t).toBeGreaterThanOrEqual(400);
    rule.remove();
    emu.inject({ route: 'snapshot.upload', throttleBytesPerSec: rate });
    t = Date.now();
    const up = await uploadFile(
      `${emu.url}/collections/t/snapshots/upload?priority=snapshot`,
      path.join(dir, 'slow.snapshot'),
    );
    expect(up.status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(400);
  });

  it('flipByteAt corrupts one byte of a download, Content-Length unchanged', async () => {
    emu.inject({ route: 'snapshot.download', flipByteAt: 1234 });
    const file = path.join(dir, 'bad.snapshot');
    const bad = await download(snapUrl(), file);
    expect(bad.error).toBeUndefined();
    expect(bad.bytes).toBe(snapSize);
    expect(Number(bad.headers['content-length'])).toBe(snapSize);
    expect(bad.sha256).not.toBe(snapSum);
    const good = await fsp.readFile(path.join(emu.snapshotsDir, 'c', snapName));
    const got = await fsp.readFile(file);
    const diffs = [...got.keys()].filter((i) => got[i] !== good[i]);
    expect(diffs).toEqual([1234]);
    expect((await download(snapUrl())).sha256).toBe(snapSum);
  });

  it('wrongChecksum: create and list advertise a checksum that is not the file', async () => {
    emu.inject({ route: 'snapshot.create', wrongChecksum: true });
    emu.inject({ route: 'snapshot.list', wrongChecksum: true });
    const d = (await call(emu.url, 'POST', '/collections/c/snapshots')).json.result;
    const real = await sha256File(path.join(emu.snapshotsDir, 'c', d.name));
    expect(d.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(d.checksum).not.toBe(real);
    const listed = (await call(emu.url, 'GET', '/collections/c/snapshots')).json.result;
    for (const s of listed) expect(s.checksum).not.toBe(s.name === snapName ? snapSum : real);
  });

  it('hang never answers until the emulator closes', async () => {
    emu.inject({ route: 'readyz', hang: true });
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 300);
    await expect(fetch(`${emu.url}/readyz`, { signal: ac.signal })).rejects.toThrow();
    clearTimeout(timer);
    expect(emu.requests.at(-1)).toMatchObject({ path: '/readyz', status: 0 });
    const pending = fetch(`${emu.url}/readyz`).then(
      () => 'answered',
      () => 'dropped',
    );
    await new Promise((r) => setTimeout(r, 50));
    await emu.close();
    expect(await pending).toBe('dropped');
  });

  it('recoverKeepFraction loses points on upload and recover', async () => {
    const file = path.join(dir, 'c.snapshot');
    await download(snapUrl(), file);
    emu.inject({ route: 'snapshot.upload', recoverKeepFraction: 0.5 });
    expect(
      (await uploadFile(`${emu.url}/collections/half/snapshots/upload?priority=snapshot`, file)).status,
    ).toBe(200);
    expect(await count('half')).toBe(100);
    emu.inject({ route: 'snapshot.recover', recoverKeepFraction: 0.25 });
    const res = await call(emu.url, 'PUT', '/collections/quarter/snapshots/recover', {
      body: { location: snapUrl(), priority: 'snapshot' },
    });
    expect(res.status).toBe(200);
    expect(await count('quarter')).toBe(50);

    const big = path.join(dir, 'big.snapshot');
    await writeSnapshotFile(big, { collection: 'big', randomPoints: { count: 1000, dim: 4 } });
    expect(
      (await uploadFile(`${emu.url}/collections/bighalf/snapshots/upload?priority=snapshot`, big)).status,
    ).toBe(200);
    expect(await count('bighalf')).toBe(500);
  });

  it('createDelayMs slows snapshot creation (also globally)', async () => {
    emu.inject({ route: 'snapshot.create', createDelayMs: 300 });
    let t = Date.now();
    expect((await call(emu.url, 'POST', '/collections/c/snapshots')).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(290);
    const slow = await startEmulator({ dataDir: path.join(dir, 'slow'), snapshotCreateDelayMs: 200 });
    try {
      await slow.createCollection('s', { vectors: { size: 2, distance: 'Dot' } });
      t = Date.now();
      expect((await call(slow.url, 'POST', '/collections/s/snapshots?wait=true')).status).toBe(200);
      expect(Date.now() - t).toBeGreaterThanOrEqual(190);
    } finally {
      await slow.close();
    }
  });

  it('times limits plain rules; unknown routes are refused at inject()', async () => {
    const rule = emu.inject({ route: 'collections.list', latencyMs: 150, times: 1 });
    const t = Date.now();
    await call(emu.url, 'GET', '/collections');
    expect(Date.now() - t).toBeGreaterThanOrEqual(140);
    expect(rule.removed).toBe(true);
    await call(emu.url, 'GET', '/collections');
    expect(rule.hits).toBe(1);
    // @ts-expect-error: not a route
    expect(() => emu.inject({ route: 'nope' })).toThrow(/unknown route/);
  });
});
