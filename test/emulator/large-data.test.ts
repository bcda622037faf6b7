// Large data: a 160 MiB snapshot is made, served, downloaded and uploaded in constant memory.
// The file is larger than the RSS budget (112 MiB), so holding it in memory anywhere fails the test;
// what remains is garbage-collection lag on 1 MiB buffers (bounded, ~30-45 MiB observed).
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEmulator, writeSnapshotFile, type Emulator } from './index.js';
import { call, download, tempDir, uploadFile } from './helpers.js';

const MiB = 1024 * 1024;
const DIM = 256;
const COUNT = (160 * MiB) / (DIM * 4); // 163840 points, 160 MiB of vectors
// Generous against GC lag (Node 24 keeps more garbage around), still well under the file size.
const BUDGET = 112 * MiB;

let emu: Emulator;
let dir: string;

/** Run `fn` while sampling RSS; returns the peak growth over the starting RSS. */
async function peakRssGrowth(fn: () => Promise<void>): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return peak - start;
}

beforeAll(async () => {
  dir = await tempDir();
  emu = await startEmulator({ dataDir: path.join(dir, 'server') });
});

afterAll(async () => {
  await emu.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('large data', () => {
  it('writes, serves, downloads and uploads a 160 MiB snapshot with RSS growth under 112 MiB', async () => {
    const file = path.join(dir, 'big.snapshot');
    let made = { size: 0, sha256: '', points: 0 };
    const growWrite = await peakRssGrowth(async () => {
      made = await writeSnapshotFile(file, { collection: 'big', randomPoints: { count: COUNT, dim: DIM } });
    });
    expect(made.points).toBe(COUNT);
    expect(made.size).toBeGreaterThan(160 * MiB);

    await emu.addCollectionFromSnapshot('big', file, { sha256: made.sha256 });
    const info = (await call(emu.url, 'GET', '/collections/big')).json.result;
    expect(info.points_count).toBe(COUNT);
    expect(info.config.params.vectors).toEqual({ size: DIM, distance: 'Dot' });

    const copy = path.join(dir, 'downloaded.snapshot');
    let up: Awaited<ReturnType<typeof uploadFile>> | undefined;
    const growTransfer = await peakRssGrowth(async () => {
      const created = await call(emu.url, 'POST', '/collections/big/snapshots?wait=true');
      expect(created.status).toBe(200);
      const d = created.json.result;
      expect(d.checksum).toBe(made.sha256);
      const dl = await download(`${emu.url}/collections/big/snapshots/${d.name}`, copy);
      expect(dl.sha256).toBe(made.sha256);
      expect(dl.bytes).toBe(made.size);
      await call(emu.url, 'DELETE', `/collections/big/snapshots/${d.name}`);
      up = await uploadFile(
        `${emu.url}/collections/restored/snapshots/upload?priority=snapshot&checksum=${made.sha256}&wait=true`,
        copy,
      );
    });
    expect(up?.status).toBe(200);
    const counted = await call(emu.url, 'POST', '/collections/restored/points/count', {
      body: { exact: true },
    });
    expect(counted.json.result.count).toBe(COUNT);

    const a = await call(emu.url, 'POST', '/collections/big/points/scroll', {
      body: { limit: 2, with_vector: true },
    });
    const b = await call(emu.url, 'POST', '/collections/restored/points/scroll', {
      body: { limit: 2, with_vector: true },
    });
    expect(b.json.result).toEqual(a.json.result);
    expect(a.json.result.points[0].vector).toHaveLength(DIM);

    // loosely: nothing held the whole file in memory
    expect(growWrite, `RSS growth while writing: ${(growWrite / MiB).toFixed(1)} MiB`).toBeLessThan(BUDGET);
    expect(
      growTransfer,
      `RSS growth while transferring: ${(growTransfer / MiB).toFixed(1)} MiB`,
    ).toBeLessThan(BUDGET);
    expect(emu.snapshotFiles('big')).toEqual([]);
  });
});
