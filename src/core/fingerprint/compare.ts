import type { QdrantClient } from '../../qdrant/client.js';
import { compareKeys, digestPoint, idFromKey, idKey, PART_BYTES, partsOf, sha256 } from './canonical.js';
import {
  fromJsonId,
  toJsonId,
  type ContentFingerprint,
  type FullFingerprint,
  type JsonPointId,
} from './model.js';
import { DifferenceSketch } from './sketch.js';

/** How one point differs between the backup and the server. */
export type PointDifference =
  /** In the backup, not on the server. */
  | { id: JsonPointId; kind: 'missing' }
  /** On the server, not in the backup. */
  | { id: JsonPointId; kind: 'extra' }
  /** On both, with another payload and/or other vectors (by name; '' is the unnamed vector). */
  | { id: JsonPointId; kind: 'changed'; payload: boolean; vectors: string[] };

export interface ContentComparison {
  collection: string;
  ok: boolean;
  /** The differences named, in Qdrant's id order: the first is the first differing point. */
  differences: PointDifference[];
  /** False when more points differ than could be named (`differences` then holds those that could). */
  complete: boolean;
  /** One sentence saying what differs, naming the collection and the first differing point; '' when ok. */
  message: string;
}

interface Side {
  key: Buffer;
  parts: Buffer;
}

/**
 * Compares the fingerprint recorded at backup with one taken of the restored collection (with the
 * backup's `vectors`). Equal point counts and digests mean equal content; otherwise the differing points
 * are named from the difference of the two sketches and, where that cannot separate them (about 20 and
 * more changed points), from the two samples.
 */
export function compareFull(
  collection: string,
  expected: FullFingerprint,
  actual: FullFingerprint,
): ContentComparison {
  if (expected.algorithm !== actual.algorithm || expected.vectors.join('\0') !== actual.vectors.join('\0')) {
    throw new Error('compareFull: take the actual fingerprint with the expected fingerprint’s vectors');
  }
  const unlisted = actual.unlisted_vectors ?? [];
  if (expected.points === actual.points && expected.digest === actual.digest && unlisted.length === 0) {
    return { collection, ok: true, differences: [], complete: true, message: '' };
  }
  const width = PART_BYTES * (1 + expected.vectors.length);
  const before = new Map<string, Side>();
  const after = new Map<string, Side>();

  const difference = new DifferenceSketch(width, Buffer.from(expected.sketch, 'base64')).subtract(
    new DifferenceSketch(width, Buffer.from(actual.sketch, 'base64')),
  );
  const decoded = difference.decode();
  for (const { sign, key, value } of decoded.entries) {
    (sign === 1 ? before : after).set(key.toString('hex'), { key, parts: value });
  }

  // Each sample holds every point ranked up to its last entry (or every point, when it holds them all), so
  // the two can be compared up to the smaller of those ranks: this names points the sketch could not.
  const expectedSample = sampleSides(expected, width);
  const actualSample = sampleSides(actual, width);
  const limit = [coveredUpTo(expected, expectedSample), coveredUpTo(actual, actualSample)].reduce<
    Buffer | undefined
  >(
    (min, rank) =>
      rank === undefined ? min : min === undefined || Buffer.compare(rank, min) < 0 ? rank : min,
    undefined,
  );
  const inRange = (side: Side & { rank: Buffer }) =>
    limit === undefined || Buffer.compare(side.rank, limit) <= 0;
  const expectedInRange = new Map(expectedSample.filter(inRange).map((s) => [s.key.toString('hex'), s]));
  const actualInRange = new Map(actualSample.filter(inRange).map((s) => [s.key.toString('hex'), s]));
  for (const [hex, side] of expectedInRange) {
    const other = actualInRange.get(hex);
    if (!other || !other.parts.equals(side.parts)) {
      before.set(hex, side);
      if (other) after.set(hex, other);
    }
  }
  for (const [hex, side] of actualInRange) if (!expectedInRange.has(hex)) after.set(hex, side);

  const differences = describeSides(before, after, expected.vectors);
  // A fully decoded sketch lists every differing (id, parts) entry; it lists none when only something the
  // parts do not cover differs (vectors outside `vectors`).
  const complete = decoded.complete && differences.length > 0;
  return {
    collection,
    ok: false,
    differences,
    complete,
    message: mismatchMessage(collection, differences, {
      complete,
      expectedPoints: expected.points,
      actualPoints: actual.points,
      unlisted,
    }),
  };
}

export interface SampleOptions {
  /** Ids per retrieve request. */
  batchSize?: number;
  signal?: AbortSignal;
}

/**
 * Fetches the backup's sampled points from `collection` by id and compares each with what the backup
 * recorded: finds missing and changed points among the sample only (an added point or a change elsewhere
 * is left to the exact count and to `compareFull`).
 */
export async function verifySample(
  client: QdrantClient,
  collection: string,
  expected: ContentFingerprint,
  options: SampleOptions = {},
): Promise<ContentComparison> {
  const width = PART_BYTES * (1 + expected.vectors.length);
  const listed = new Set(expected.vectors);
  const wanted = sampleSides(expected, width);
  const batchSize = options.batchSize ?? 256;
  const before = new Map<string, Side>();
  const after = new Map<string, Side>();
  const unlisted = new Set<string>();
  for (let start = 0; start < wanted.length; start += batchSize) {
    const batch = wanted.slice(start, start + batchSize);
    const records = await client.retrievePoints(
      collection,
      batch.map((side) => idFromKey(side.key)),
      { withVector: true, withPayload: true, signal: options.signal },
    );
    const found = new Map(
      records.map((record) => {
        const point = digestPoint(record);
        return [point.key.toString('hex'), point] as const;
      }),
    );
    for (const side of batch) {
      const hex = side.key.toString('hex');
      const point = found.get(hex);
      if (!point) {
        before.set(hex, side);
        continue;
      }
      const extraNames = [...point.vectors.keys()].filter((name) => !listed.has(name));
      extraNames.forEach((name) => unlisted.add(name));
      const parts = partsOf(point, expected.vectors);
      if (!parts.equals(side.parts) || extraNames.length > 0) {
        before.set(hex, side);
        after.set(hex, { key: point.key, parts });
      }
    }
  }
  const differences = describeSides(before, after, expected.vectors, unlisted);
  const ok = differences.length === 0;
  return {
    collection,
    ok,
    differences,
    complete: true,
    message: ok
      ? ''
      : mismatchMessage(collection, differences, {
          complete: true,
          sampled: wanted.length,
          unlisted: [...unlisted],
        }),
  };
}

/** The sample of a fingerprint as keys, ranks and parts, smallest rank first. */
function sampleSides(fingerprint: ContentFingerprint, width: number): (Side & { rank: Buffer })[] {
  const parts = Buffer.from(fingerprint.sample.parts, 'base64');
  return fingerprint.sample.ids
    .map((id, i) => {
      const key = idKey(fromJsonId(id));
      return { key, rank: sha256(key), parts: parts.subarray(i * width, (i + 1) * width) };
    })
    .sort((a, b) => Buffer.compare(a.rank, b.rank));
}

/** The rank up to which a sample holds every point of its collection; undefined when it holds them all. */
function coveredUpTo(fingerprint: FullFingerprint, sample: { rank: Buffer }[]): Buffer | undefined {
  if (sample.length >= fingerprint.points) return undefined;
  return sample.at(-1)?.rank ?? Buffer.alloc(32); // an empty sample covers nothing
}

function describeSides(
  before: Map<string, Side>,
  after: Map<string, Side>,
  vectors: readonly string[],
  unlisted: Set<string> = new Set(),
): PointDifference[] {
  const keys = new Map<string, Buffer>();
  for (const [hex, side] of [...before, ...after]) keys.set(hex, side.key);
  return [...keys.values()].sort(compareKeys).map((key): PointDifference => {
    const hex = key.toString('hex');
    const id = toJsonId(idFromKey(key));
    const old = before.get(hex);
    const now = after.get(hex);
    if (!now) return { id, kind: 'missing' };
    if (!old) return { id, kind: 'extra' };
    const part = (parts: Buffer, i: number) => parts.subarray(i * PART_BYTES, (i + 1) * PART_BYTES);
    const changedVectors = vectors.filter((_, i) => !part(old.parts, i + 1).equals(part(now.parts, i + 1)));
    return {
      id,
      kind: 'changed',
      payload: !part(old.parts, 0).equals(part(now.parts, 0)),
      vectors: [...changedVectors, ...[...unlisted].sort()],
    };
  });
}

function vectorLabel(name: string): string {
  return name === '' ? 'the unnamed vector' : `vector '${name}'`;
}

function pointLabel(id: JsonPointId): string {
  return typeof id === 'number' || /^\d+$/.test(id) ? `point ${id}` : `point '${id}'`;
}

export function describeDifference(difference: PointDifference): string {
  const point = pointLabel(difference.id);
  if (difference.kind === 'missing') return `${point} is missing`;
  if (difference.kind === 'extra') return `${point} is not in the backup`;
  const what = [...(difference.payload ? ['payload'] : []), ...difference.vectors.map(vectorLabel)];
  if (what.length === 0) return `${point} differs`;
  const list = what.length === 1 ? what[0]! : `${what.slice(0, -1).join(', ')} and ${what.at(-1)!}`;
  return `${point}: ${list} ${what.length === 1 ? 'differs' : 'differ'}`;
}

function mismatchMessage(
  collection: string,
  differences: PointDifference[],
  context: {
    complete: boolean;
    expectedPoints?: number;
    actualPoints?: number;
    sampled?: number;
    unlisted: string[];
  },
): string {
  const facts: string[] = [];
  if (context.expectedPoints !== undefined && context.expectedPoints !== context.actualPoints) {
    facts.push(`${context.expectedPoints} points in the backup, ${context.actualPoints} on the server`);
  }
  if (context.unlisted.length > 0) {
    facts.push(
      `points carry vectors the backup has not: ${context.unlisted.map((n) => `'${n}'`).join(', ')}`,
    );
  }
  const scope = context.sampled !== undefined ? ` (${context.sampled} sampled points checked)` : '';
  let text = `The content of collection ${collection} differs from the backup${scope}`;
  if (differences.length === 0) {
    text += ': the content digest differs but more points differ than the backup can name';
  } else {
    text += `: ${describeDifference(differences[0]!)}`;
    const more = differences.slice(1, 5).map(describeDifference);
    const rest = differences.length - 1 - more.length;
    if (more.length > 0) text += `; also ${more.join('; ')}${rest > 0 ? `; and ${rest} more` : ''}`;
    if (!context.complete) text += '; more points differ than the backup can name';
  }
  if (facts.length > 0) text += ` (${facts.join('; ')})`;
  return `${text}.`;
}
