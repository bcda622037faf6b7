// Content fingerprints against a server: the emulator always, a real Qdrant when QDRANT_BINARY names its
// executable (e.g. QDRANT_BINARY=/opt/qdrant/v1.19.0/qdrant). A collection is fingerprinted, snapshotted,
// uploaded into a new collection and fingerprinted again (identical); then one payload value, one vector
// component, one point deleted and another added: the comparison names each, while the exact count alone
// would pass.
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareFull,
  fingerprintCollection,
  verifySample,
  type FullFingerprint,
} from '../../src/core/fingerprint.js';
import { QdrantClient } from '../../src/qdrant/client.js';
import type { PointId, PointRecord } from '../../src/qdrant/types.js';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { startRealQdrant, type RealQdrant } from '../helpers/real-qdrant.mjs';

const BINARY = process.env.QDRANT_BINARY;
if (!BINARY) {
  console.log(
    'content.test.ts: real Qdrant tests skipped: set QDRANT_BINARY=/opt/qdrant/v1.19.0/qdrant to run them',
  );
}

const POINTS = 1200;
const BIG_ID = 18446744073709551615n; // u64::MAX: JSON.parse cannot hold it

interface Server {
  url: string;
  real: boolean;
  stop(): Promise<void>;
}

function seedPoints(real: boolean): Record<string, unknown>[] {
  const points: Record<string, unknown>[] = [];
  for (let i = 1; i <= POINTS; i++) {
    const id = i % 7 === 0 ? `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` : i * 3;
    const wave = (k: number) => Number(Math.sin(i * 0.37 + k).toFixed(6));
    points.push({
      id,
      vector: {
        image: [wave(1), wave(2), wave(3), wave(4), wave(5), wave(6), wave(7), wave(8)],
        // Distinct non-integer components: Qdrant 1.19 reads [[1,2],[3,4]] as something else.
        ...(i % 4 === 0
          ? {
              colbert: [
                [wave(9), wave(10.5)],
                [wave(11), 0.5],
                [0.25, wave(12)],
              ],
            }
          : {}),
        ...(i % 3 === 0
          ? {
              keywords: {
                indices: [300 + ((i * 7) % 100), 200 + (i % 13), i % 5],
                values: [0.5, wave(13), 1.5],
              },
            }
          : {}),
      },
      payload: {
        title: `book ${i}`,
        price: i / 4,
        tags: [`t${i % 5}`, 'all'],
        meta: { z: i % 2 === 0, a: null },
      },
    });
  }
  // An id above 2^53 (the emulator, being JavaScript, cannot hold one).
  if (real)
    points.push({ id: String(BIG_ID), vector: { image: [1, 0, 0, 0, 0, 0, 0, 0] }, payload: { big: true } });
  return points;
}

async function call<T>(server: Server, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    // BIG_ID goes as a bare integer.
    body: body === undefined ? undefined : JSON.stringify(body).replace(`"${BIG_ID}"`, String(BIG_ID)),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return (JSON.parse(text) as { result: T }).result;
}

for (const kind of ['emulator', 'real'] as const) {
  describe.skipIf(kind === 'real' && !BINARY)(
    `content fingerprint on ${kind === 'real' ? 'a real Qdrant' : 'the emulator'}`,
    () => {
      let server: Server;
      let client: QdrantClient;
      let work: string;
      let expected: FullFingerprint;

      beforeAll(async () => {
        work = await mkdtemp(path.join(os.tmpdir(), 'fingerprint-test-'));
        if (kind === 'real') {
          const real: RealQdrant = await startRealQdrant(BINARY!);
          server = { url: real.url, real: true, stop: () => real.stop() };
        } else {
          const emulator: Emulator = await startEmulator({ dataDir: work });
          server = { url: emulator.url, real: false, stop: () => emulator.close() };
        }
        client = new QdrantClient({ url: server.url, timeoutMs: 60_000 });
        await call(server, 'PUT', '/collections/books', {
          vectors: {
            image: { size: 8, distance: 'Cosine' },
            colbert: { size: 2, distance: 'Dot', multivector_config: { comparator: 'max_sim' } },
          },
          sparse_vectors: { keywords: {} },
        });
        const points = seedPoints(server.real);
        for (let i = 0; i < points.length; i += 400) {
          await call(server, 'PUT', '/collections/books/points?wait=true', {
            points: points.slice(i, i + 400),
          });
        }
        expected = await fingerprintCollection(client, 'books', { pageSize: 100 });
      });

      afterAll(async () => {
        await client?.close();
        await server?.stop();
        await rm(work, { recursive: true, force: true });
      });

      it('reads every point, ids above 2^53 exactly', async () => {
        expect(expected.points).toBe(POINTS + (server.real ? 1 : 0));
        expect(expected.vectors).toEqual(['colbert', 'image', 'keywords']);
        expect(expected.sample.ids).toHaveLength(256);
        if (server.real) {
          const [point] = await client.retrievePoints('books', [BIG_ID], { withPayload: true });
          expect(point).toMatchObject({ id: BIG_ID, payload: { big: true } });
          const all = await client.scrollPoints('books', { limit: 2000 });
          expect(all.points.at(-1 - Math.floor(POINTS / 7))?.id).toBe(BIG_ID); // integers first, then UUIDs
        }
      });

      it('is the same whatever the page size', async () => {
        expect(await fingerprintCollection(client, 'books', { pageSize: 1000 })).toEqual(expected);
      });

      it('a snapshot uploaded into a new collection fingerprints identically', async () => {
        const snapshot = await client.createSnapshot('books');
        const file = path.join(work, 'books.snapshot');
        const { sha256 } = await client.downloadSnapshot('books', snapshot.name, file);
        await client.uploadSnapshot('restored', file, { checksum: sha256 });
        const actual = await fingerprintCollection(client, 'restored', {
          vectors: expected.vectors,
          pageSize: 250,
        });
        expect(actual).toEqual(expected);
        expect(compareFull('restored', expected, actual).ok).toBe(true);
        expect((await verifySample(client, 'restored', expected)).ok).toBe(true);
      });

      it('one payload value, one vector component, one point deleted and another added: named; counts alone pass', async () => {
        const sampled = expected.sample.ids.filter((id): id is number => typeof id === 'number').slice(0, 3);
        const [payloadId, vectorId, deletedId] = sampled as [number, number, number];
        const fetched = await client.retrievePoints('restored', [payloadId, vectorId], {
          withVector: true,
          withPayload: true,
        });
        const payloadPoint = fetched.find((p) => p.id === payloadId);
        const vectorPoint = fetched.find((p) => p.id === vectorId);
        const changed: PointRecord[] = [
          { ...payloadPoint!, payload: { ...payloadPoint!.payload, price: 999 } },
          {
            ...vectorPoint!,
            vector: {
              ...(vectorPoint!.vector as Record<string, number[]>),
              image: (vectorPoint!.vector as Record<string, number[]>).image!.map((x, i) =>
                i === 5 ? x + 0.25 : x,
              ),
            },
          },
          { id: 999_999, vector: { image: [0, 1, 0, 0, 0, 0, 0, 0] }, payload: { title: 'intruder' } },
        ];
        await call(server, 'PUT', '/collections/restored/points?wait=true', { points: changed });
        if (server.real) {
          await call(server, 'POST', '/collections/restored/points/delete?wait=true', {
            points: [deletedId],
          });
        } else {
          // The emulator has no delete: one point more instead, and the count differs.
        }
        const count = await client.exactCount('restored');
        if (server.real) expect(count).toBe(expected.points); // what `verify: counts` checks: it would pass

        const actual = await fingerprintCollection(client, 'restored', { vectors: expected.vectors });
        const full = compareFull('restored', expected, actual);
        expect(full.ok).toBe(false);
        expect(full.complete).toBe(true);
        const wanted: { id: PointId; kind: string; payload?: boolean; vectors?: string[] }[] = [
          { id: payloadId, kind: 'changed', payload: true, vectors: [] },
          { id: vectorId, kind: 'changed', payload: false, vectors: ['image'] },
          { id: 999_999, kind: 'extra' },
          ...(server.real ? [{ id: deletedId, kind: 'missing' }] : []),
        ];
        expect(full.differences).toEqual([...wanted].sort((a, b) => Number(a.id) - Number(b.id)));
        expect(full.message).toMatch(
          new RegExp(
            `^The content of collection restored differs from the backup: point ${full.differences[0]!.id}`,
          ),
        );

        const sample = await verifySample(client, 'restored', expected);
        expect(sample.ok).toBe(false);
        expect(sample.differences).toEqual(
          wanted.filter((w) => w.kind !== 'extra').sort((a, b) => Number(a.id) - Number(b.id)),
        );
      });
    },
  );
}
