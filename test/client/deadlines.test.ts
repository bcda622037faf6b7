// Every call's hold on the caller's signal ends with the call, whatever its outcome: the listener each call
// adds to the run's cancellation signal is removed (the memory it saves is measured by bench/scale.mjs:
// the deadlines used to be AbortSignal.timeout + AbortSignal.any, which on Node 24 stayed in memory until
// the deadline, an hour by default). Runs on the emulator (faults need it).
import { getEventListeners } from 'node:events';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QdrantClient } from '../../src/qdrant/client.js';
import { startTarget, type Target } from '../helpers/target.js';
import { seedCollection, targetClient, tempDir } from './helpers.js';

let target: Target;
let client: QdrantClient;
let dir: string;
let collection: string;

beforeAll(async () => {
  target = await startTarget({ emulator: true });
  ({ client } = targetClient(target));
  dir = await tempDir();
  collection = `${target.prefix}books`;
  await seedCollection(target, collection, 20);
});

afterAll(async () => {
  await client.close();
  await target.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the caller's signal", () => {
  it('is let go after answers, HTTP errors and downloads', async () => {
    const run = new AbortController();
    const { signal } = run;
    for (let i = 0; i < 50; i++) {
      await client.scrollPoints(collection, { limit: 5, withPayload: true, signal });
      await client.randomPointIds(collection, 5, signal);
      await expect(client.scrollPoints(`${collection}_missing`, { limit: 1, signal })).rejects.toThrow();
    }
    const snapshot = await client.createSnapshot(collection, signal);
    await client.downloadSnapshot(collection, snapshot.name, path.join(dir, 'books.snapshot'), { signal });
    await client.deleteSnapshot(collection, snapshot.name);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('still cancels a call in flight, and a deadline still times one out', async () => {
    const run = new AbortController();
    target.emulator!.inject({ route: 'points.scroll', collection, latencyMs: 2_000, times: 1 });
    const pending = client.scrollPoints(collection, { limit: 1, signal: run.signal });
    setTimeout(() => run.abort(new Error('stop')), 100);
    await expect(pending).rejects.toThrow(/cancel/i);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);

    const { client: hasty } = targetClient(target, { timeoutMs: 300 });
    target.emulator!.inject({ route: 'points.scroll', collection, latencyMs: 2_000, times: 1 });
    try {
      await expect(hasty.scrollPoints(collection, { limit: 1 })).rejects.toThrow(/did not finish .* within/);
    } finally {
      await hasty.close();
    }
  });
});
