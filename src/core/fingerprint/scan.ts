import { performance } from 'node:perf_hooks';
import type { QdrantClient } from '../../qdrant/client.js';
import { QdrantError } from '../../qdrant/errors.js';
import type { PointId } from '../../qdrant/types.js';
import { ALGORITHM, digestPoint, idFromKey, PART_BYTES, partsOf } from './canonical.js';
import { toJsonId, vectorNamesOf, type FullFingerprint } from './model.js';
import { MultisetSum } from './multiset.js';
import { DeterministicSample } from './sample.js';
import { DifferenceSketch } from './sketch.js';

export interface FingerprintOptions {
  /** Points per scroll request; default: chosen from the server's round-trip time (see pageSizeFor). */
  pageSize?: number;
  /** The collection's exact point count when the caller knows it: up to 999 points are read in one page. */
  points?: number;
  /** Points in the sample (0 for none). */
  sampleSize?: number;
  /** The vector names to cover; default: those of the collection's config. Pass the backup's to compare. */
  vectors?: string[];
  signal?: AbortSignal;
  /** Called after each page with the points read so far. */
  onProgress?: (points: number) => void;
}

export const DEFAULT_SAMPLE_SIZE = 256;

const MAX_PAGE = 1000;
const roundTrips = new WeakMap<QdrantClient, Promise<number>>();

/**
 * The server's round-trip time: the fastest of three reads of a collection's info (the others may have
 * waited for a busy CPU). Measured once per client, not per collection: a backup of a thousand small
 * collections would otherwise spend six of its requests per collection on it.
 */
function roundTripOf(client: QdrantClient, collection: string): Promise<number> {
  let measured = roundTrips.get(client);
  if (!measured) {
    measured = (async () => {
      let fastest = Infinity;
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        await client.collectionInfo(collection);
        fastest = Math.min(fastest, performance.now() - started);
      }
      return fastest;
    })();
    measured.catch(() => roundTrips.delete(client)); // a failed measurement is tried again next time
    roundTrips.set(client, measured);
  }
  return measured;
}

/**
 * Points per scroll request for a server `roundTripMs` away. Only one page is requested ahead, so each
 * round trip must be worth its wait. Measured on Qdrant 1.19, 100,000 points × 384 dimensions
 * (bench/fingerprint.mjs): on loopback 100 per page took 10.9 s and 250 took 15.1 s (medians of 7
 * alternating runs); 20 ms further away, 100 took 33-38 s, 250 took 27 s and 500 took 18 s.
 */
export function pageSizeFor(roundTripMs: number): number {
  if (roundTripMs <= 5) return 100;
  return Math.min(MAX_PAGE, 100 * Math.round(roundTripMs / 4));
}

/**
 * Reads every point of `collection` with its vectors and payload, page by page (the next page is requested
 * while the current one is hashed), and returns its fingerprint. Memory is bounded by two pages and the
 * sample, not by the collection's size.
 */
export async function fingerprintCollection(
  client: QdrantClient,
  collection: string,
  options: FingerprintOptions = {},
): Promise<FullFingerprint> {
  const vectors =
    options.vectors ??
    vectorNamesOf(
      (await client.collectionInfo(collection)).config.params as unknown as Record<string, unknown>,
    );
  // A collection known to fit one page is read in one request, however near the server is.
  const pageSize =
    options.pageSize ??
    Math.max(
      pageSizeFor(await roundTripOf(client, collection)),
      options.points !== undefined && options.points < MAX_PAGE ? options.points + 1 : 0,
    );
  const listed = new Set(vectors);
  const unlisted = new Set<string>();
  const sum = new MultisetSum();
  const sample = new DeterministicSample(options.sampleSize ?? DEFAULT_SAMPLE_SIZE);
  const sketch = new DifferenceSketch(PART_BYTES * (1 + vectors.length));
  let points = 0;
  let previous: Buffer | undefined;

  const read = (offset: PointId | null) => {
    const page = client.scrollPoints(collection, {
      limit: pageSize,
      offset,
      withVector: true,
      withPayload: true,
      signal: options.signal,
    });
    page.catch(() => {}); // awaited below; this only keeps a failure during hashing from going unhandled
    return page;
  };
  for (let pending = read(null); ;) {
    const page = await pending;
    const next = page.next_page_offset;
    if (next !== null) pending = read(next);
    for (const record of page.points) {
      const point = digestPoint(record);
      // Scroll returns ids in ascending order: anything else (a page served twice, a point read twice) would
      // count a point twice, and a server that never advances would loop forever.
      if (previous && Buffer.compare(point.key, previous) <= 0) {
        throw new QdrantError(
          `Scrolling ${collection} returned point ${String(record.id)} after point ${String(idFromKey(previous))}: the ids are not in ascending order, so the content cannot be fingerprinted.`,
          { method: 'POST', path: `/collections/${encodeURIComponent(collection)}/points/scroll` },
        );
      }
      previous = point.key;
      sum.add(point.digest);
      const parts = partsOf(point, vectors);
      sketch.insert(point.key, parts);
      sample.offer(point.key, () => parts);
      for (const name of point.vectors.keys()) if (!listed.has(name)) unlisted.add(name);
      points++;
    }
    options.onProgress?.(points);
    if (next === null) break;
  }

  const entries = sample.entries();
  return {
    algorithm: ALGORITHM,
    points,
    digest: sum.hex(),
    vectors,
    sample: {
      ids: entries.map((entry) => toJsonId(idFromKey(entry.key))),
      parts: Buffer.concat(entries.map((entry) => entry.parts)).toString('base64'),
    },
    sketch: sketch.data.toString('base64'),
    ...(unlisted.size > 0 ? { unlisted_vectors: [...unlisted].sort() } : {}),
  };
}
