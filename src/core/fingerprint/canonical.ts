import { createHash } from 'node:crypto';
import type { PointId, PointRecord, SparseVector, VectorOutput } from '../../qdrant/types.js';

// The canonical form of a point, version 1 ('qsfp-v1'). Every digest below is SHA-256. Changing any byte
// of this encoding changes every recorded fingerprint: bump the algorithm id instead.
//
//   id key      17 bytes: 0x01 + u64 big-endian in the last 8 of 16 bytes (an integer id),
//               or 0x02 + the UUID's 16 bytes
//   vector      kind byte, then: dense  (1) u32 n, n × f32 LE
//                                multi  (2) u32 rows, per row u32 n + n × f32 LE
//                                sparse (3) u32 n, n × (u32 index, f32 LE value), sorted by index
//   payload     canonical JSON: object keys sorted (UTF-16 code units), numbers as JavaScript prints them
//   point       id key, u32 vector count, per vector (by name) u32 length + UTF-8 name + vector digest,
//               then the payload digest
//
// Vectors are hashed as the Float32 values the server stores: the server prints f32 values, the text
// parses to a double and Math.fround gives the f32 back, whatever digits a server version prints.

export const ALGORITHM = 'qsfp-v1';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const U64_MAX = (1n << 64n) - 1n;

export function sha256(data: Buffer | string): Buffer {
  return createHash('sha256').update(data).digest();
}

/** The 17-byte key of a point id; integer and UUID ids never collide. */
export function idKey(id: PointId): Buffer {
  const key = Buffer.alloc(17);
  if (typeof id === 'string') {
    if (!UUID.test(id)) throw new Error(`Point id ${JSON.stringify(id)} is neither an integer nor a UUID.`);
    key[0] = 2;
    key.write(id.replace(/-/g, ''), 1, 'hex');
    return key;
  }
  const value = BigInt(id);
  if (value < 0n || value > U64_MAX || (typeof id === 'number' && !Number.isSafeInteger(id))) {
    throw new Error(`Point id ${String(id)} is not an unsigned 64-bit integer.`);
  }
  key[0] = 1;
  key.writeBigUInt64BE(value, 9);
  return key;
}

/** The id a key stands for: a number, a bigint above 2^53, or a lower-case hyphenated UUID. */
export function idFromKey(key: Buffer): PointId {
  if (key[0] === 1) {
    const value = key.readBigUInt64BE(9);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }
  const hex = key.subarray(1).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Qdrant's order of ids (integers first, then UUIDs): the order "first differing point" refers to. */
export function compareKeys(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

/** JSON with object keys sorted at every level: equal payloads give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    // undefined, functions, NaN do not occur in parsed JSON; refuse them rather than hash something vague.
    if (text === undefined || (typeof value === 'number' && !Number.isFinite(value))) {
      throw new Error(`Not a JSON value: ${String(value)}`);
    }
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

function isSparse(vector: VectorOutput): vector is SparseVector {
  return !Array.isArray(vector) && typeof vector === 'object' && vector !== null;
}

/** The canonical bytes of one vector (see the table above). */
export function encodeVector(vector: VectorOutput): Buffer {
  if (isSparse(vector)) {
    const { indices, values } = vector;
    if (!Array.isArray(indices) || !Array.isArray(values) || indices.length !== values.length) {
      throw new Error('A sparse vector needs indices and values of equal length.');
    }
    const order = indices.map((_, i) => i).sort((a, b) => indices[a]! - indices[b]!);
    const out = Buffer.alloc(5 + 8 * order.length);
    out[0] = 3;
    out.writeUInt32LE(order.length, 1);
    order.forEach((i, n) => {
      out.writeUInt32LE(indices[i]!, 5 + 8 * n);
      out.writeFloatLE(values[i]!, 9 + 8 * n);
    });
    return out;
  }
  if (vector.length > 0 && Array.isArray(vector[0])) {
    const rows = vector as number[][];
    const out = Buffer.alloc(5 + rows.reduce((sum, row) => sum + 4 + 4 * row.length, 0));
    out[0] = 2;
    out.writeUInt32LE(rows.length, 1);
    let at = 5;
    for (const row of rows) {
      out.writeUInt32LE(row.length, at);
      floatsInto(row, out, at + 4);
      at += 4 + 4 * row.length;
    }
    return out;
  }
  const dense = vector as number[];
  const out = Buffer.alloc(5 + 4 * dense.length);
  out[0] = 1;
  out.writeUInt32LE(dense.length, 1);
  floatsInto(dense, out, 5);
  return out;
}

/** Writes the values as little-endian f32 at `at` (one typed-array copy, not one write per value). */
function floatsInto(values: number[], out: Buffer, at: number): void {
  const floats = Float32Array.from(values);
  const bytes = Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength);
  if (!LITTLE_ENDIAN) bytes.swap32();
  bytes.copy(out, at);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A point reduced to its digests. */
export interface PointDigest {
  key: Buffer;
  /** Digest of each vector, by name ('' is the unnamed vector), in name order. */
  vectors: Map<string, Buffer>;
  payload: Buffer;
  /** Digest of the whole point: what the collection digest adds up. */
  digest: Buffer;
}

/** The vectors of a record by name: the unnamed vector (a bare array) is named ''. */
function vectorsByName(record: PointRecord): [string, VectorOutput][] {
  const { vector } = record;
  if (vector === null || vector === undefined) return [];
  if (Array.isArray(vector)) return [['', vector]];
  return Object.entries(vector).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function digestPoint(record: PointRecord): PointDigest {
  const key = idKey(record.id);
  const vectors = new Map<string, Buffer>();
  for (const [name, vector] of vectorsByName(record)) vectors.set(name, sha256(encodeVector(vector)));
  const payload = sha256(canonicalJson(record.payload ?? {}));
  const point = createHash('sha256').update(key);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(vectors.size);
  point.update(count);
  for (const [name, digest] of vectors) {
    const nameBytes = Buffer.from(name, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(nameBytes.length);
    point.update(length).update(nameBytes).update(digest);
  }
  point.update(payload);
  return { key, vectors, payload, digest: point.digest() };
}

/**
 * Bytes of each part digest kept in the sample and the sketch. They only say WHICH part of a point differs
 * (the point digest decides whether it does): 2 bytes miss a change of one part once in 65,536, and keep
 * a manifest entry at a few KB.
 */
export const PART_BYTES = 2;

/**
 * The short form of a point's parts: payload, then each of `vectorNames` (zeros when the point has no
 * such vector), PART_BYTES each.
 */
export function partsOf(point: PointDigest, vectorNames: readonly string[]): Buffer {
  const parts = Buffer.alloc(PART_BYTES * (1 + vectorNames.length));
  point.payload.copy(parts, 0, 0, PART_BYTES);
  vectorNames.forEach((name, i) => point.vectors.get(name)?.copy(parts, PART_BYTES * (i + 1), 0, PART_BYTES));
  return parts;
}
