import { ManifestError } from '../errors.js';
import type { PointId } from '../../qdrant/types.js';
import { ALGORITHM, PART_BYTES } from './canonical.js';
import { DifferenceSketch } from './sketch.js';

/** A point id in JSON: an integer, a UUID, or the decimal digits of an integer above 2^53. */
export type JsonPointId = number | string;

/**
 * What a backup records of a collection's content (plain JSON, about 2-6 KB whatever the collection's size).
 * A full fingerprint reads every point: two of the same content are equal, whatever order the points were
 * read in. A sample fingerprint (`scope: 'sample'`) holds the exact count and points the server drew at
 * random; it costs a few requests whatever the collection's size, and `verify: sample` checks it.
 */
export type ContentFingerprint = FullFingerprint | SampleFingerprint;

interface FingerprintBase {
  algorithm: typeof ALGORITHM;
  /** Points in the collection (read, for a full fingerprint; its exact count, for a sample). */
  points: number;
  /** The vector names the parts below cover, sorted ('' is the unnamed vector). */
  vectors: string[];
  /** Sampled points: their ids, and for each, base64 of 4 bytes of its payload digest then 4 bytes of each vector's digest (in `vectors` order). */
  sample: { ids: JsonPointId[]; parts: string };
}

export interface SampleFingerprint extends FingerprintBase {
  scope: 'sample';
}

export interface FullFingerprint extends FingerprintBase {
  /** Absent in manifests written before sample fingerprints existed. */
  scope?: 'full';
  /** Sum modulo 2^256 of the SHA-256 digests of every point (id, vectors, payload), as 64 hex digits. */
  digest: string;
  /** Base64 of a difference sketch of every point's (id, parts): names the points a full check finds. */
  sketch: string;
  /** Vector names found on points but not in `vectors` (only when a fingerprint was taken for comparison). */
  unlisted_vectors?: string[];
}

/** The names of a collection's dense and sparse vectors, sorted; '' is the unnamed vector. */
export function vectorNamesOf(params: Record<string, unknown>): string[] {
  const names: string[] = [];
  const dense = params.vectors;
  if (isObject(dense)) {
    // Unnamed: `{size, distance, ...}`; named: `{name: {size, distance, ...}}`.
    if (typeof dense.size === 'number') names.push('');
    else names.push(...Object.keys(dense));
  }
  if (isObject(params.sparse_vectors)) names.push(...Object.keys(params.sparse_vectors));
  return names.sort();
}

export function toJsonId(id: PointId): JsonPointId {
  return typeof id === 'bigint' ? id.toString() : id;
}

export function fromJsonId(id: JsonPointId): PointId {
  return typeof id === 'string' && /^\d+$/.test(id) ? BigInt(id) : id;
}

/**
 * Checks a fingerprint read from a manifest (untrusted input) and returns it typed. `where` names it in
 * errors, e.g. "manifest.json: collections[2].content".
 */
export function readContentFingerprint(value: unknown, where: string): ContentFingerprint {
  const fail = (why: string): never => {
    throw new ManifestError(`${where}: ${why}. The backup was changed or written by another tool.`);
  };
  if (!isObject(value)) return fail('not an object');
  const { algorithm, points, digest, vectors, sample, sketch, scope } = value;
  if (algorithm !== ALGORITHM) {
    return fail(`algorithm ${JSON.stringify(algorithm)} is not ${ALGORITHM} (made by a newer version?)`);
  }
  if (typeof points !== 'number' || !Number.isSafeInteger(points) || points < 0) {
    return fail('points is not a count');
  }
  if (scope !== undefined && scope !== 'full' && scope !== 'sample') {
    return fail(`scope ${JSON.stringify(scope)} is neither full nor sample (made by a newer version?)`);
  }
  if (!Array.isArray(vectors) || !vectors.every((name) => typeof name === 'string')) {
    return fail('vectors is not a list of names');
  }
  if (!isObject(sample) || !Array.isArray(sample.ids) || typeof sample.parts !== 'string') {
    return fail('sample needs ids and parts');
  }
  const ids = sample.ids as unknown[];
  if (!ids.every(isJsonPointId)) return fail('sample.ids holds something that is not a point id');
  const width = PART_BYTES * (1 + vectors.length);
  if (Buffer.from(sample.parts, 'base64').length !== ids.length * width) {
    return fail(`sample.parts does not hold ${width} bytes for each of the ${ids.length} ids`);
  }
  const common: FingerprintBase = {
    algorithm: ALGORITHM,
    points,
    vectors: vectors as string[],
    sample: { ids: ids as JsonPointId[], parts: sample.parts },
  };
  if (scope === 'sample') return { ...common, scope };
  // The sample of a full fingerprint is the points with the smallest SHA-256 of their id.
  if (typeof digest !== 'string' || !/^[0-9a-f]{64}$/.test(digest))
    return fail('digest is not 64 hex digits');
  if (typeof sketch !== 'string') return fail('sketch is missing');
  try {
    new DifferenceSketch(width, Buffer.from(sketch, 'base64'));
  } catch (error) {
    return fail(`sketch: ${(error as Error).message}`);
  }
  return { ...common, digest, sketch };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function isJsonPointId(id: unknown): id is JsonPointId {
  if (typeof id === 'number') return Number.isSafeInteger(id) && id >= 0;
  return typeof id === 'string' && (UUID.test(id) || (/^\d{1,20}$/.test(id) && BigInt(id) < 1n << 64n));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
