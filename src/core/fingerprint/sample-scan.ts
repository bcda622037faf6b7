import type { QdrantClient } from '../../qdrant/client.js';
import { QdrantError } from '../../qdrant/errors.js';
import type { PointId } from '../../qdrant/types.js';
import { ALGORITHM, compareKeys, digestPoint, idFromKey, partsOf } from './canonical.js';
import { fromJsonId, toJsonId, type SampleFingerprint } from './model.js';
import { DEFAULT_SAMPLE_SIZE } from './scan.js';

export interface SampleFingerprintOptions {
  /** The collection's exact point count, recorded as the fingerprint's `points`. */
  points: number;
  /** The vector names the parts cover (the collection config's). */
  vectors: string[];
  /** Points to draw (default 256). */
  sampleSize?: number;
  /** Read these points again instead of drawing new ones: the second look of a backup. */
  sameAs?: SampleFingerprint;
  signal?: AbortSignal;
}

/**
 * Ids drawn at random by the server; from a Qdrant older than 1.11, which refuses `sample: random` with a
 * 4xx, the first ids in id order instead (as good a sample for a restore to check, if a less varied one).
 */
async function drawIds(
  client: QdrantClient,
  collection: string,
  size: number,
  signal?: AbortSignal,
): Promise<PointId[]> {
  try {
    return await client.randomPointIds(collection, size, signal);
  } catch (error) {
    const status = error instanceof QdrantError ? error.status : undefined;
    if (status === undefined || status < 400 || status >= 500 || status === 401 || status === 403)
      throw error;
    const page = await client.scrollPoints(collection, { limit: size, signal });
    return page.points.map((point) => point.id);
  }
}

/**
 * A sample fingerprint: points the server draws at random, read by id with their vectors and payload.
 * Three requests whatever the collection's size, where a full fingerprint reads every point: what
 * `verify: sample` checks. Ids the server no longer has (with `sameAs`) are left out, so the two
 * fingerprints differ.
 */
export async function sampleFingerprint(
  client: QdrantClient,
  collection: string,
  options: SampleFingerprintOptions,
): Promise<SampleFingerprint> {
  const { signal, vectors } = options;
  const ids: PointId[] = options.sameAs
    ? options.sameAs.sample.ids.map(fromJsonId)
    : await drawIds(client, collection, options.sampleSize ?? DEFAULT_SAMPLE_SIZE, signal);
  const records =
    ids.length === 0
      ? []
      : await client.retrievePoints(collection, ids, { withVector: true, withPayload: true, signal });
  const points = records.map((record) => digestPoint(record)).sort((a, b) => compareKeys(a.key, b.key));
  return {
    algorithm: ALGORITHM,
    scope: 'sample',
    points: options.points,
    vectors,
    sample: {
      ids: points.map((point) => toJsonId(idFromKey(point.key))),
      parts: Buffer.concat(points.map((point) => partsOf(point, vectors))).toString('base64'),
    },
  };
}
