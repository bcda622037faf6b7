// The content fingerprint's building blocks: canonical encoding, collection digest, sample, sketch and the
// comparisons that name the differing point. Points come from an in-memory stand-in for the two read calls
// (scroll, retrieve); the emulator and a real Qdrant are in test/fingerprint/.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareFull,
  fingerprintCollection,
  pageSizeFor,
  readContentFingerprint,
  verifySample,
} from '../../src/core/fingerprint.js';
import {
  canonicalJson,
  digestPoint,
  encodeVector,
  idFromKey,
  idKey,
} from '../../src/core/fingerprint/canonical.js';
import { MultisetSum } from '../../src/core/fingerprint/multiset.js';
import { DifferenceSketch } from '../../src/core/fingerprint/sketch.js';
import { ManifestError } from '../../src/core/errors.js';
import type { QdrantClient } from '../../src/qdrant/client.js';
import type { PointId, PointRecord } from '../../src/qdrant/types.js';

const PARAMS = {
  vectors: { image: { size: 4, distance: 'Dot' }, text: { size: 3, distance: 'Dot' } },
  sparse_vectors: { keywords: {} },
};

/** Scroll and retrieve over an in-memory list, in Qdrant's id order, counting the calls. */
function memoryClient(points: PointRecord[], params: Record<string, unknown> = PARAMS) {
  const sorted = [...points].sort((a, b) => Buffer.compare(idKey(a.id), idKey(b.id)));
  const calls = { scroll: 0, retrieve: 0, retrievedIds: 0 };
  const client = {
    async collectionInfo() {
      return { config: { params } };
    },
    async scrollPoints(_collection: string, options: { limit: number; offset?: PointId | null }) {
      calls.scroll++;
      const start =
        options.offset === undefined || options.offset === null
          ? 0
          : sorted.findIndex((p) => idKey(p.id).equals(idKey(options.offset!)));
      const page = sorted.slice(start, start + options.limit).map((p) => structuredClone(p));
      const next = sorted[start + options.limit];
      return { points: page, next_page_offset: next ? next.id : null };
    },
    async retrievePoints(_collection: string, ids: PointId[]) {
      calls.retrieve++;
      calls.retrievedIds += ids.length;
      const wanted = new Set(ids.map((id) => idKey(id).toString('hex')));
      return sorted.filter((p) => wanted.has(idKey(p.id).toString('hex'))).map((p) => structuredClone(p));
    },
  };
  return { client: client as unknown as QdrantClient, calls };
}

function makePoint(i: number): PointRecord {
  const f = (k: number) => Math.fround(Math.sin(i * 13 + k));
  return {
    id: i % 5 === 0 ? uuidFor(i) : i,
    vector: {
      image: [f(1), f(2), f(3), f(4)],
      text: [f(5), f(6), f(7)],
      ...(i % 3 === 0 ? { keywords: { indices: [i % 7, 100 + (i % 11)], values: [f(8), f(9)] } } : {}),
    },
    payload: { n: i, tags: ['a', String(i % 4)], nested: { even: i % 2 === 0, score: f(10) } },
  };
}

function uuidFor(i: number): string {
  const hex = createHash('md5').update(String(i)).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const points = (n: number) => Array.from({ length: n }, (_, i) => makePoint(i + 1));

async function fingerprintOf(list: PointRecord[], options: { pageSize?: number; sampleSize?: number } = {}) {
  return fingerprintCollection(memoryClient(list).client, 'books', options);
}

describe('canonical encoding', () => {
  it('writes payload objects with sorted keys at every level, arrays in their order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
    expect(canonicalJson({ s: 'é"\n' })).toBe('{"s":"é\\"\\n"}');
  });

  it('gives integer and UUID ids distinct keys, and reads them back', () => {
    expect(idKey(1).equals(idKey('00000000-0000-0000-0000-000000000001'))).toBe(false);
    expect(idKey('5C56C793-69F3-4FBF-87E6-C4BF54C28C99')).toEqual(
      idKey('5c56c793-69f3-4fbf-87e6-c4bf54c28c99'),
    );
    expect(idFromKey(idKey('5C56C793-69F3-4FBF-87E6-C4BF54C28C99'))).toBe(
      '5c56c793-69f3-4fbf-87e6-c4bf54c28c99',
    );
    expect(idFromKey(idKey(18446744073709551615n))).toBe(18446744073709551615n);
    expect(idFromKey(idKey(42))).toBe(42);
    expect(idKey(2 ** 53 - 1)).toEqual(idKey(BigInt(2 ** 53 - 1)));
    // Qdrant's order: integers ascending, then UUIDs.
    const sorted = [
      idKey('00000000-0000-0000-0000-000000000000'),
      idKey(10n ** 19n),
      idKey(2),
      idKey(1),
    ].sort(Buffer.compare);
    expect(sorted.map(idFromKey)).toEqual([1, 2, 10n ** 19n, '00000000-0000-0000-0000-000000000000']);
    expect(() => idKey(-1)).toThrow(/unsigned/);
    expect(() => idKey(2 ** 60)).toThrow(/unsigned/); // a number that large was rounded: refuse it
    expect(() => idKey('books-1')).toThrow(/neither/);
  });

  it('does not depend on the order of payload keys, vector names or sparse entries', () => {
    const a = digestPoint({
      id: 7,
      vector: { text: [0.5, 0.25], keywords: { indices: [9, 2, 5], values: [0.9, 0.2, 0.5] } },
      payload: { b: 1, a: { y: null, z: [1, 2] } },
    });
    const b = digestPoint({
      id: 7,
      vector: { keywords: { indices: [2, 5, 9], values: [0.2, 0.5, 0.9] }, text: [0.5, 0.25] },
      payload: { a: { z: [1, 2], y: null }, b: 1 },
    });
    expect(a.digest.toString('hex')).toBe(b.digest.toString('hex'));
  });

  it('changes with the id kind, a sparse pairing, a vector name, a multi-vector row and a payload type', () => {
    const base: PointRecord = {
      id: 1,
      vector: {
        m: [
          [1, 2],
          [3, 4],
        ],
        s: { indices: [1, 2], values: [0.5, 0.25] },
      },
      payload: { a: 1 },
    };
    const variants: PointRecord[] = [
      { ...base, id: '00000000-0000-0000-0000-000000000001' },
      {
        ...base,
        vector: {
          m: [
            [1, 2],
            [3, 4],
          ],
          s: { indices: [1, 2], values: [0.25, 0.5] },
        },
      },
      {
        ...base,
        vector: {
          n: [
            [1, 2],
            [3, 4],
          ],
          s: { indices: [1, 2], values: [0.5, 0.25] },
        },
      },
      { ...base, vector: { m: [[1, 2, 3, 4]], s: { indices: [1, 2], values: [0.5, 0.25] } } },
      { ...base, payload: { a: '1' } },
      { ...base, payload: { a: [1] } },
    ];
    const digests = [base, ...variants].map((p) => digestPoint(p).digest.toString('hex'));
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('hashes vectors as Float32: a difference the server could not store is no difference', () => {
    const stored = Math.fround(0.1);
    expect(digestPoint({ id: 1, vector: [0.1] }).digest).toEqual(
      digestPoint({ id: 1, vector: [stored] }).digest,
    );
    // One f32 step is a difference.
    const next = new Float32Array(
      new Uint32Array([new Uint32Array(new Float32Array([stored]).buffer)[0]! + 1]).buffer,
    )[0]!;
    expect(digestPoint({ id: 1, vector: [0.1] }).digest).not.toEqual(
      digestPoint({ id: 1, vector: [next] }).digest,
    );
  });

  it('encodes a point exactly as the format comment says (recorded fingerprints depend on every byte)', () => {
    const sha = (data: Buffer | string) => createHash('sha256').update(data).digest();
    const words = (...parts: ['u' | 'f', number][]) => {
      const out = Buffer.alloc(4 * parts.length);
      parts.forEach(([kind, value], i) =>
        kind === 'u' ? out.writeUInt32LE(value, 4 * i) : out.writeFloatLE(value, 4 * i),
      );
      return out;
    };
    const dense = words(['u', 1], ['u', 2], ['f', 1.5], ['f', -2]);
    const multi = words(['u', 2], ['u', 2], ['u', 1], ['f', 0.5], ['u', 1], ['f', 0.25]);
    const sparse = words(['u', 3], ['u', 2], ['u', 4], ['f', 0.75], ['u', 9], ['f', 0.125]);
    expect(Buffer.from(encodeVector([1.5, -2]))).toEqual(dense);
    expect(Buffer.from(encodeVector([[0.5], [0.25]]))).toEqual(multi);
    expect(Buffer.from(encodeVector({ indices: [9, 4], values: [0.125, 0.75] }))).toEqual(sparse);
    const named = (name: string, bytes: Buffer) => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(Buffer.byteLength(name));
      return Buffer.concat([length, Buffer.from(name), sha(bytes)]);
    };
    const key = Buffer.concat([Buffer.from([1]), Buffer.alloc(8), Buffer.from('000000000000002a', 'hex')]);
    const count = Buffer.from([0, 0, 0, 3]);
    const expected = sha(
      Buffer.concat([
        key,
        count,
        named('a', dense),
        named('b', multi),
        named('s', sparse),
        sha('{"k":[1,"x"]}'),
      ]),
    );
    const point = digestPoint({
      id: 42,
      vector: { s: { indices: [9, 4], values: [0.125, 0.75] }, b: [[0.5], [0.25]], a: [1.5, -2] },
      payload: { k: [1, 'x'] },
    });
    expect(point.digest).toEqual(expected);
    // A vector larger than the scratch buffer, then a small one: each encoded on its own.
    const big = Array.from({ length: 5000 }, (_, i) => i / 7);
    expect(Buffer.from(encodeVector(big)).length).toBe(8 + 4 * 5000);
    expect(Buffer.from(encodeVector([1.5, -2]))).toEqual(dense);
  });

  it('treats a missing payload as the empty payload and an unnamed vector as the vector named ""', () => {
    expect(digestPoint({ id: 3, vector: [1, 2] }).digest).toEqual(
      digestPoint({ id: 3, vector: { '': [1, 2] }, payload: {} }).digest,
    );
  });
});

describe('collection digest', () => {
  it('adds digests modulo 2^256: duplicates do not cancel (as XOR would), the order does not matter', () => {
    const d = (byte: number) => Buffer.alloc(32, byte);
    const sum = (digests: Buffer[]) => {
      const s = new MultisetSum();
      digests.forEach((x) => s.add(x));
      return s.hex();
    };
    expect(sum([d(1), d(1)])).not.toBe(sum([]));
    expect(sum([d(1), d(2), d(3)])).toBe(sum([d(3), d(1), d(2)]));
    // 0xff..ff + 1 wraps to 0.
    expect(sum([d(0xff), Buffer.concat([Buffer.alloc(31), Buffer.from([1])])])).toBe('0'.repeat(64));
  });

  it('is equal for the same points in any order and any page size (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(points(60), { minLength: 0 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 70 }),
        async (subset, pageA, pageB) => {
          const shuffled = [...subset].reverse();
          const a = await fingerprintOf(subset, { pageSize: pageA, sampleSize: 16 });
          const b = await fingerprintOf(shuffled, { pageSize: pageB, sampleSize: 16 });
          expect(b).toEqual(a);
          expect(a.points).toBe(subset.length);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('fingerprintCollection', () => {
  it('reads every page and samples the points with the smallest SHA-256 of their id', async () => {
    const list = points(1000);
    const { client, calls } = memoryClient(list);
    const fingerprint = await fingerprintCollection(client, 'books', { pageSize: 128, sampleSize: 32 });
    expect(calls.scroll).toBe(Math.ceil(1000 / 128));
    expect(fingerprint.points).toBe(1000);
    expect(fingerprint.vectors).toEqual(['image', 'keywords', 'text']);
    const bySmallestHash = list
      .map((p) => ({ id: p.id, rank: createHash('sha256').update(idKey(p.id)).digest() }))
      .sort((a, b) => Buffer.compare(a.rank, b.rank))
      .slice(0, 32)
      .map((p) => p.id);
    expect(fingerprint.sample.ids).toEqual(bySmallestHash);
    expect(Buffer.from(fingerprint.sample.parts, 'base64').length).toBe(32 * 2 * 4);
  });

  it('chooses the page size from the round-trip time: small pages nearby, larger ones far away', async () => {
    expect([0.3, 5, 7, 10, 20, 45, 300].map(pageSizeFor)).toEqual([100, 100, 200, 300, 500, 1000, 1000]);
    const { client, calls } = memoryClient(points(2000));
    const far = {
      ...client,
      scrollPoints: client.scrollPoints,
      retrievePoints: client.retrievePoints,
      collectionInfo: async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return client.collectionInfo('books');
      },
    } as unknown as QdrantClient;
    await fingerprintCollection(far, 'books');
    expect(calls.scroll).toBe(2); // 1000 per page (100 ms away)
    calls.scroll = 0;
    await fingerprintCollection(client, 'books');
    expect(calls.scroll).toBeGreaterThanOrEqual(10); // 100 per page (no delay; 200 on a stalled machine)
  });

  it('measures the round trip once per client, and reads a collection of known size in one page', async () => {
    const list = points(600);
    const { client, calls } = memoryClient(list);
    let infoReads = 0;
    const counted = {
      ...client,
      scrollPoints: client.scrollPoints,
      collectionInfo: async () => {
        infoReads++;
        return client.collectionInfo('books');
      },
    } as unknown as QdrantClient;
    const first = await fingerprintCollection(counted, 'books');
    expect(infoReads).toBe(4); // the vector names, and the round trip (the fastest of three reads)
    expect(calls.scroll).toBeGreaterThan(1);
    infoReads = 0;
    calls.scroll = 0;
    const known = await fingerprintCollection(counted, 'books', {
      vectors: first.vectors,
      points: list.length,
    });
    expect(infoReads).toBe(0);
    expect(calls.scroll).toBe(1);
    expect(known).toEqual(first);
  });

  it('refuses a scroll that does not advance in id order (a repeated page would count points twice)', async () => {
    const { client } = memoryClient(points(30));
    const repeating = {
      ...client,
      collectionInfo: client.collectionInfo,
      scrollPoints: async (c: string, o: { limit: number; offset?: PointId | null }) => {
        const page = await client.scrollPoints(c, { ...o, offset: null });
        return { ...page, next_page_offset: page.next_page_offset };
      },
    } as unknown as QdrantClient;
    await expect(fingerprintCollection(repeating, 'books', { pageSize: 10 })).rejects.toThrow(
      /Scrolling books returned point 1 after point 12: the ids are not in ascending order/,
    );
  });

  it('stays a few KB per collection whatever its size', async () => {
    const size = async (list: PointRecord[], params?: Record<string, unknown>) =>
      JSON.stringify(await fingerprintCollection(memoryClient(list, params).client, 'c', {})).length;
    // One unnamed vector and integer ids, as most collections are.
    const plain = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ id: i, vector: [i, 1], payload: { i } }));
    const unnamed = { vectors: { size: 2, distance: 'Dot' } };
    expect(await size(plain(300), unnamed)).toBeLessThan(6 * 1024);
    expect(await size(plain(20_000), unnamed)).toBeLessThan(6 * 1024);
    // Three vectors, a fifth of the ids UUIDs: the ids and parts grow, the point count does not matter.
    expect(await size(points(300))).toBeLessThan(9 * 1024);
    expect(await size(points(6000))).toBeLessThan(9 * 1024);
  });

  it('survives JSON and is read back by readContentFingerprint', async () => {
    const fingerprint = await fingerprintOf([
      ...points(40),
      { id: 18446744073709551615n, vector: {}, payload: {} },
    ]);
    const json = JSON.parse(JSON.stringify(fingerprint)) as unknown;
    expect(readContentFingerprint(json, 'manifest.json: collections[0].content')).toEqual(fingerprint);
    expect(fingerprint.sample.ids).toContain('18446744073709551615');
  });

  it('refuses a damaged fingerprint, naming where and what', async () => {
    const good = await fingerprintOf(points(10));
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ...good, algorithm: 'qsfp-v9' }, /algorithm "qsfp-v9"/],
      [{ ...good, digest: 'abc' }, /digest is not 64 hex digits/],
      [{ ...good, points: -1 }, /points is not a count/],
      [{ ...good, sample: { ...good.sample, ids: [1, 'x'] } }, /sample.ids/],
      [{ ...good, sample: { ...good.sample, parts: 'AAAA' } }, /sample.parts does not hold 8 bytes/],
      [{ ...good, sketch: 'AAAA' }, /sketch/],
      [{ ...good, vectors: [1] }, /vectors/],
    ];
    for (const [value, message] of bad) {
      const error = (() => {
        try {
          readContentFingerprint(value, 'manifest.json: collections[1].content');
        } catch (e) {
          return e as Error;
        }
      })();
      expect(error).toBeInstanceOf(ManifestError);
      expect(error?.message).toMatch(message);
      expect(error?.message).toMatch(/^manifest\.json: collections\[1\]\.content: /);
    }
  });
});

/** A copy of the points with one changed by `change`. */
function withChange(list: PointRecord[], id: PointId, change: (p: PointRecord) => void): PointRecord[] {
  return list.map((p) => {
    if (p.id !== id) return p;
    const copy = structuredClone(p);
    change(copy);
    return copy;
  });
}

describe('compareFull names the first differing point and what differs', () => {
  const list = points(2000);

  async function compare(after: PointRecord[]) {
    const expected = await fingerprintOf(list);
    const actual = await fingerprintCollection(memoryClient(after).client, 'books', {
      vectors: expected.vectors,
    });
    return compareFull('books', expected, actual);
  }

  it('passes identical content', async () => {
    const result = await compare([...list].reverse());
    expect(result).toEqual({ collection: 'books', ok: true, differences: [], complete: true, message: '' });
  });

  it('a changed payload value', async () => {
    const result = await compare(
      withChange(list, 1234, (p) => {
        (p.payload as { nested: { even: boolean } }).nested.even = false;
      }),
    );
    expect(result.ok).toBe(false);
    expect(result.differences).toEqual([{ id: 1234, kind: 'changed', payload: true, vectors: [] }]);
    expect(result.complete).toBe(true);
    expect(result.message).toBe(
      'The content of collection books differs from the backup: point 1234: payload differs.',
    );
  });

  it('one vector component', async () => {
    const result = await compare(
      withChange(list, 77, (p) => {
        (p.vector as { text: number[] }).text[2] = 0.5;
      }),
    );
    expect(result.differences).toEqual([{ id: 77, kind: 'changed', payload: false, vectors: ['text'] }]);
    expect(result.message).toMatch(/point 77: vector 'text' differs\.$/);
  });

  it('a sparse vector and the payload of a UUID point', async () => {
    const id = uuidFor(15);
    const result = await compare(
      withChange(list, id, (p) => {
        (p.vector as unknown as { keywords: { values: number[] } }).keywords.values[0] = 9;
        p.payload = { ...p.payload, extra: 1 };
      }),
    );
    expect(result.differences).toEqual([{ id, kind: 'changed', payload: true, vectors: ['keywords'] }]);
    expect(result.message).toContain(`point '${id}': payload and vector 'keywords' differ`);
  });

  it('one point dropped and another added: same count, both named, the first in id order first', async () => {
    const after = [...list.filter((p) => p.id !== 1501), makePoint(5001)];
    const result = await compare(after);
    expect(result.differences).toEqual([
      { id: 1501, kind: 'missing' },
      { id: 5001, kind: 'extra' },
    ]);
    expect(result.message).toBe(
      'The content of collection books differs from the backup: point 1501 is missing; also point 5001 is not in the backup.',
    );
  });

  it('a dropped point changes the count too', async () => {
    const result = await compare(list.filter((p) => p.id !== 3));
    expect(result.differences).toEqual([{ id: 3, kind: 'missing' }]);
    expect(result.message).toMatch(/point 3 is missing \(2000 points in the backup, 1999 on the server\)\.$/);
  });

  it('any single change is named exactly (property)', async () => {
    const expected = await fingerprintOf(list);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2000 }).filter((i) => i % 5 !== 0),
        fc.constantFrom('payload', 'image', 'text', 'drop'),
        fc.double({ min: -10, max: 10, noNaN: true }).filter((x) => Math.fround(x) !== 0),
        async (id, what, delta) => {
          let after: PointRecord[];
          if (what === 'drop') after = list.filter((p) => p.id !== id);
          else {
            after = withChange(list, id, (p) => {
              if (what === 'payload') (p.payload as { n: number }).n = -1 - Math.abs(delta);
              else (p.vector as Record<string, number[]>)[what]![0]! += Math.fround(delta) + 1;
            });
          }
          const actual = await fingerprintCollection(memoryClient(after).client, 'books', {
            vectors: expected.vectors,
            pageSize: 700,
          });
          const result = compareFull('books', expected, actual);
          if (result.ok) {
            // Only possible when the change rounds away in f32.
            expect(what === 'image' || what === 'text').toBe(true);
            return;
          }
          expect(result.differences).toHaveLength(1);
          const difference = result.differences[0]!;
          expect(difference.id).toBe(id);
          if (what === 'drop') expect(difference.kind).toBe('missing');
          else if (what === 'payload') expect(difference).toMatchObject({ payload: true, vectors: [] });
          else expect(difference).toMatchObject({ payload: false, vectors: [what] });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('names a dozen scattered differences in id order', async () => {
    const changed = [1999, 3, 404, 58, 1001, 777, 12, 1402, 1603, 888, 21, 1111];
    let after = list;
    for (const id of changed) after = withChange(after, id, (p) => ((p.payload as { n: number }).n = -1));
    const result = await compare(after);
    expect(result.complete).toBe(true);
    expect(result.differences.map((d) => d.id)).toEqual([...changed].sort((a, b) => a - b));
    expect(result.message).toMatch(/point 3: payload differs; also point 12: .*; and 7 more\.$/);
  });

  it('when too many points differ for the sketch, says so and still names the sampled ones', async () => {
    const after = list.map((p) =>
      Number(p.id) % 4 === 1 ? { ...p, payload: { ...p.payload, touched: true } } : p,
    );
    const expected = await fingerprintOf(list);
    const actual = await fingerprintCollection(memoryClient(after).client, 'books', {
      vectors: expected.vectors,
    });
    const result = compareFull('books', expected, actual);
    expect(result.ok).toBe(false);
    expect(result.complete).toBe(false);
    expect(result.message).toMatch(/more points differ than the backup can name/);
    // Every point named really differs; the sampled ones that differ are all named.
    const touched = (id: unknown) => typeof id === 'number' && id % 4 === 1;
    expect(result.differences.every((d) => touched(d.id) && d.kind === 'changed')).toBe(true);
    const sampledTouched = expected.sample.ids.filter(touched);
    expect(sampledTouched.length).toBeGreaterThan(10);
    for (const id of sampledTouched) expect(result.differences.map((d) => d.id)).toContain(id);
  });

  it('refuses to compare fingerprints taken over other vector lists', async () => {
    const expected = await fingerprintOf(points(5));
    const actual = await fingerprintCollection(memoryClient(points(5)).client, 'books', {
      vectors: ['image'],
    });
    expect(() => compareFull('books', expected, actual)).toThrow(/vectors/);
  });

  it('reports vectors the backup has not (the parts cannot cover them)', async () => {
    const expected = await fingerprintOf(points(5));
    const after = withChange(points(5), 2, (p) => ((p.vector as Record<string, number[]>).other = [1]));
    const actual = await fingerprintCollection(memoryClient(after).client, 'books', {
      vectors: expected.vectors,
    });
    const result = compareFull('books', expected, actual);
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/points carry vectors the backup has not: 'other'/);
  });
});

describe('verifySample', () => {
  const list = points(3000);

  it('fetches only the sampled ids and passes unchanged content', async () => {
    const expected = await fingerprintOf(list);
    const { client, calls } = memoryClient(list);
    const result = await verifySample(client, 'books', expected);
    expect(result.ok).toBe(true);
    expect(calls).toEqual({ scroll: 0, retrieve: 1, retrievedIds: 256 });
  });

  it('names a changed or missing sampled point and what differs', async () => {
    const expected = await fingerprintOf(list);
    const [first, second, third] = expected.sample.ids.filter((id) => typeof id === 'number') as number[];
    let after = withChange(list, first!, (p) => ((p.vector as { image: number[] }).image[1] = 42));
    after = withChange(after, second!, (p) => ((p.payload as { n: number }).n = -5));
    after = after.filter((p) => p.id !== third);
    const result = await verifySample(memoryClient(after).client, 'books', expected, { batchSize: 100 });
    expect(result.ok).toBe(false);
    const byId = Object.fromEntries(result.differences.map((d) => [String(d.id), d]));
    expect(byId[first!]).toEqual({ id: first, kind: 'changed', payload: false, vectors: ['image'] });
    expect(byId[second!]).toEqual({ id: second, kind: 'changed', payload: true, vectors: [] });
    expect(byId[third!]).toEqual({ id: third, kind: 'missing' });
    const firstDiffering = Math.min(first!, second!, third!);
    expect(result.differences[0]!.id).toBe(firstDiffering);
    expect(result.message).toMatch(
      new RegExp(
        `^The content of collection books differs from the backup \\(256 sampled points checked\\): point ${firstDiffering}`,
      ),
    );
  });

  it('does not see a change outside the sample (that is what full is for)', async () => {
    const expected = await fingerprintOf(list);
    const outside = list.find((p) => typeof p.id === 'number' && !expected.sample.ids.includes(p.id))!;
    const after = withChange(list, outside.id, (p) => ((p.payload as { n: number }).n = -5));
    expect((await verifySample(memoryClient(after).client, 'books', expected)).ok).toBe(true);
    const actual = await fingerprintCollection(memoryClient(after).client, 'books', {
      vectors: expected.vectors,
    });
    expect(compareFull('books', expected, actual).differences).toEqual([
      { id: outside.id, kind: 'changed', payload: true, vectors: [] },
    ]);
  });
});

describe('difference sketch', () => {
  /** Two sketches of `total` entries of which the first `differing` have another value in the second. */
  function differenceOf(total: number, differing: number, base: number) {
    const a = new DifferenceSketch(8);
    const b = new DifferenceSketch(8);
    for (let i = 0; i < total; i++) {
      a.insert(idKey(base + i), Buffer.alloc(8, 1));
      b.insert(idKey(base + i), Buffer.alloc(8, i < differing ? 2 : 1));
    }
    return a.subtract(b).decode();
  }

  it('never lists an entry that does not differ, and lists them all when complete (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 10_000 }), (differing, seed) => {
        const { entries, complete } = differenceOf(200, differing, seed * 1000);
        for (const entry of entries) {
          const i = Number(idFromKey(entry.key)) - seed * 1000;
          expect(i).toBeLessThan(differing);
          expect(entry.value.equals(Buffer.alloc(8, entry.sign === 1 ? 1 : 2))).toBe(true);
        }
        if (complete) expect(entries).toHaveLength(2 * differing);
        if (differing === 0) expect(entries).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('separates one changed point always and ten in nearly every case', () => {
    const rate = (differing: number, trials: number) =>
      Array.from({ length: trials }, (_, t) => differenceOf(differing, differing, t * 1000)).filter(
        (r) => r.complete,
      ).length / trials;
    expect(rate(1, 500)).toBe(1);
    expect(rate(10, 500)).toBeGreaterThan(0.97); // 0.986 measured over 2,000 trials
    expect(rate(40, 100)).toBeLessThan(0.1); // capacity is about 20 changed points: past it, say so
  });
});
