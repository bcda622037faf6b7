import { hash } from 'node:crypto';
import type { PointId, PointRecord, SparseVector, VectorOutput } from '../../qdrant/types.js';

// The canonical form of a point, version 1 ('qsfp-v1'). Every digest below is SHA-256. Changing any byte
// of this encoding changes every recorded fingerprint: bump the algorithm id instead.
//
//   id key      17 bytes: 0x01 + u64 big-endian in the last 8 of 16 bytes (an integer id),
//               or 0x02 + the UUID's 16 bytes
//   vector      little-endian 32-bit words: kind, then  dense  (1) n, n × f32
//                                                        multi  (2) rows, per row n + n × f32
//                                                        sparse (3) n, n × (index, f32 value), by index
//   payload     canonical JSON: object keys sorted (UTF-16 code units), numbers as JavaScript prints them
//   point       id key, u32 vector count, per vector (by name) u32 length + UTF-8 name + vector digest,
//               then the payload digest
//
// Vectors are hashed as the Float32 values the server stores: the server prints f32 values, the text
// parses to a double and Math.fround gives the f32 back, whatever digits a server version prints.

export const ALGORITHM = 'qsfp-v1';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const U64_MAX = (1n << 64n) - 1n;

export function sha256(data: Uint8Array | string): Buffer {
  return hash('sha256', data, 'buffer');
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

/** The digest of one vector's canonical bytes. */
export function vectorDigest(vector: VectorOutput): Buffer {
  return sha256(encodeInScratch(vector));
}

/** The canonical bytes of one vector (see the table above), in a buffer of their own. */
export function encodeVector(vector: VectorOutput): Uint8Array {
  return Uint8Array.from(encodeInScratch(vector));
}

function encodeInScratch(vector: VectorOutput): Uint8Array {
  if (isSparse(vector)) {
    const { indices, values } = vector;
    if (!Array.isArray(indices) || !Array.isArray(values) || indices.length !== values.length) {
      throw new Error('A sparse vector needs indices and values of equal length.');
    }
    const order = indices.map((_, i) => i).sort((a, b) => indices[a]! - indices[b]!);
    const words = new Words(2 + 2 * order.length);
    words.int(3).int(order.length);
    for (const i of order) words.int(indices[i]!).float(values[i]!);
    return words.bytes();
  }
  if (vector.length > 0 && Array.isArray(vector[0])) {
    const rows = vector as number[][];
    const words = new Words(2 + rows.reduce((sum, row) => sum + 1 + row.length, 0));
    words.int(2).int(rows.length);
    for (const row of rows) words.int(row.length).floats(row);
    return words.bytes();
  }
  const dense = vector as number[];
  return new Words(2 + dense.length).int(1).int(dense.length).floats(dense).bytes();
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * 32-bit words seen as unsigned integers and as f32 (Float32Array.set converts a whole row at once). One
 * scratch buffer, grown when needed, serves every vector: `bytes()` is a view valid until the next vector.
 */
class Words {
  private static ints = new Uint32Array(1024);
  private static floatView = new Float32Array(Words.ints.buffer);
  private at = 0;

  constructor(private readonly count: number) {
    if (Words.ints.length < count) {
      Words.ints = new Uint32Array(Math.max(count, 2 * Words.ints.length));
      Words.floatView = new Float32Array(Words.ints.buffer);
    }
  }

  int(value: number): this {
    Words.ints[this.at++] = value;
    return this;
  }

  float(value: number): this {
    Words.floatView[this.at++] = value;
    return this;
  }

  floats(values: number[]): this {
    Words.floatView.set(values, this.at);
    this.at += values.length;
    return this;
  }

  /** Little-endian bytes whatever the host. */
  bytes(): Uint8Array {
    const bytes = new Uint8Array(Words.ints.buffer, 0, 4 * this.count);
    if (!LITTLE_ENDIAN) Buffer.from(bytes.buffer, 0, bytes.length).swap32();
    return bytes;
  }
}

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
  let size = key.length + 4 + 32;
  const names: Buffer[] = [];
  for (const [name, vector] of vectorsByName(record)) {
    vectors.set(name, vectorDigest(vector));
    const nameBytes = Buffer.from(name, 'utf8');
    names.push(nameBytes);
    size += 4 + nameBytes.length + 32;
  }
  const payload = sha256(canonicalJson(record.payload ?? {}));
  // The point's bytes in one buffer, hashed at once.
  const point = Buffer.allocUnsafe(size);
  let at = key.copy(point, 0);
  at = point.writeUInt32BE(vectors.size, at);
  let i = 0;
  for (const digest of vectors.values()) {
    const name = names[i++]!;
    at = point.writeUInt32BE(name.length, at);
    at += name.copy(point, at);
    at += digest.copy(point, at);
  }
  payload.copy(point, at);
  return { key, vectors, payload, digest: sha256(point) };
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
