// A proxy that gives up on the backend (502/504 after forwarding the whole request) must not make the
// client start the same work twice: Qdrant goes on creating or recovering after the client is gone.
// Runs on the emulator and unchanged on a real Qdrant.
import * as path from 'node:path';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { uploadedSnapshotName, type QdrantClient } from '../../src/qdrant/client.js';
import type { SnapshotDescription } from '../../src/qdrant/types.js';
import { startLossyProxy, type LossyProxy } from '../helpers/lossy-proxy.js';
import { startTarget, type Target } from '../helpers/target.js';
import { makeClient, seedCollection, targetClient, tempDir } from './helpers.js';

const POINTS = 300;
let target: Target;
let direct: QdrantClient;
let dir: string;
let source: string;
let snapshot: SnapshotDescription;
let file: string;
const proxies: LossyProxy[] = [];

beforeAll(async () => {
  target = await startTarget();
  ({ client: direct } = targetClient(target));
  dir = await tempDir();
  source = `${target.prefix}source`;
  await seedCollection(target, source, POINTS);
  snapshot = await direct.createSnapshot(source);
  file = path.join(dir, 'source.snapshot');
  await direct.downloadSnapshot(source, snapshot.name, file, { expectedSha256: snapshot.checksum! });
  await direct.deleteSnapshot(source, snapshot.name);
});

afterAll(async () => {
  for (const proxy of proxies) await proxy.close();
  await direct.close();
  await target.close();
  await rm(dir, { recursive: true, force: true });
});

async function throughProxy(rule: Parameters<typeof startLossyProxy>[1][number]) {
  const proxy = await startLossyProxy(target.url, [rule]);
  proxies.push(proxy);
  return { proxy, ...makeClient(proxy.url, { apiKey: target.apiKey }) };
}

it('a 504 after the creation request reached Qdrant: one snapshot made, and it is the one returned', async () => {
  const { proxy, client, retries } = await throughProxy({
    method: 'POST',
    path: /\/snapshots$/,
    status: 504,
    times: 1,
  });
  const made = await client.createSnapshot(source);
  expect(retries).toHaveLength(1);
  expect(proxy.forwarded.filter((r) => r === `POST /collections/${source}/snapshots`)).toHaveLength(1);
  expect((await direct.listSnapshots(source)).map((s) => s.name)).toEqual([made.name]);
  await direct.deleteSnapshot(source, made.name);
  await client.close();
});

it('a 502 after the upload body was sent: exactly one recovery, every point, no copy left', async () => {
  const restored = `${target.prefix}restored`;
  const { proxy, client, retries } = await throughProxy({
    method: 'POST',
    path: /\/snapshots\/upload$/,
    status: 502,
    times: 1,
  });
  await client.uploadSnapshot(restored, file, { checksum: snapshot.checksum! });
  expect(retries).toHaveLength(1);
  expect(proxy.forwarded.filter((r) => r === `POST /collections/${restored}/snapshots/upload`)).toHaveLength(
    1,
  );
  expect(await direct.exactCount(restored)).toBe(POINTS);
  expect((await direct.listSnapshots(restored)).map((s) => s.name)).not.toContain(
    uploadedSnapshotName(restored),
  );
  await client.close();
});
