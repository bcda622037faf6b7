import { sha256 } from './canonical.js';

/** Cells per hash function; three functions, each with a table of its own (so an entry's cells differ). */
export const SKETCH_TABLE_CELLS = 24;
const HASHES = 3;
const KEY_BYTES = 17;
const CHECK_BYTES = 4;
/** Counts are kept modulo 2^16: only the difference of two sketches is read, and it is small. */
const COUNT_BYTES = 2;

export interface SketchEntry {
  /** +1: in the sketch subtracted from; -1: in the sketch subtracted. */
  sign: 1 | -1;
  key: Buffer;
  value: Buffer;
}

/**
 * An invertible Bloom lookup table (Eppstein et al., "What's the Difference?", 2011) of (id key, parts)
 * entries. Two sketches of a few KB, subtracted, list the entries in one and not the other whatever the
 * collection's size: this is how a full verification names the points that differ without the backup
 * storing every point. A changed point is two entries (old, new); with 72 cells, 10 changed points are
 * all listed in 98.6% of cases, 20 in 92%, 30 in 11% (then `decode` says it is incomplete).
 *
 * Each cell holds a count (modulo 2^16) and the XOR of the keys, values and check bytes of the entries hashed to
 * it. The cells an entry goes to depend on its value too, so a point whose payload changed gives two
 * entries (old, new) in different cells rather than cancelling out.
 */
export class DifferenceSketch {
  readonly cellBytes: number;
  readonly data: Buffer;

  constructor(
    readonly valueBytes: number,
    data?: Buffer,
  ) {
    this.cellBytes = COUNT_BYTES + KEY_BYTES + CHECK_BYTES + valueBytes;
    const size = HASHES * SKETCH_TABLE_CELLS * this.cellBytes;
    if (data && data.length !== size) {
      throw new Error(`a sketch of ${valueBytes}-byte values has ${size} bytes, not ${data.length}`);
    }
    this.data = data ?? Buffer.alloc(size);
  }

  insert(key: Buffer, value: Buffer): void {
    this.apply(1, key, value, entryHash(key, value));
  }

  /** This sketch minus `other` (both of the same shape). */
  subtract(other: DifferenceSketch): DifferenceSketch {
    const result = new DifferenceSketch(this.valueBytes, Buffer.from(this.data));
    for (let cell = 0; cell < HASHES * SKETCH_TABLE_CELLS; cell++) {
      const at = cell * this.cellBytes;
      result.data.writeUInt16BE((this.data.readUInt16BE(at) - other.data.readUInt16BE(at)) & 0xffff, at);
      for (let i = at + COUNT_BYTES; i < at + this.cellBytes; i++) result.data[i]! ^= other.data[i]!;
    }
    return result;
  }

  /**
   * The entries of a difference sketch, found by peeling cells that hold exactly one entry. `complete` is
   * false when too many entries collide to be separated: then the list holds only those found.
   */
  decode(): { entries: SketchEntry[]; complete: boolean } {
    const work = new DifferenceSketch(this.valueBytes, Buffer.from(this.data));
    const entries: SketchEntry[] = [];
    const total = HASHES * SKETCH_TABLE_CELLS;
    for (let progress = true; progress;) {
      progress = false;
      for (let cell = 0; cell < total; cell++) {
        const pure = work.pureEntry(cell);
        if (!pure) continue;
        entries.push(pure);
        work.apply(pure.sign === 1 ? -1 : 1, pure.key, pure.value, entryHash(pure.key, pure.value));
        progress = true;
      }
    }
    return { entries, complete: work.data.every((byte) => byte === 0) };
  }

  private pureEntry(cell: number): SketchEntry | undefined {
    const at = cell * this.cellBytes;
    const count = this.data.readInt16BE(at);
    if (count !== 1 && count !== -1) return undefined;
    const key = Buffer.from(this.data.subarray(at + COUNT_BYTES, at + COUNT_BYTES + KEY_BYTES));
    const check = this.data.subarray(
      at + COUNT_BYTES + KEY_BYTES,
      at + COUNT_BYTES + KEY_BYTES + CHECK_BYTES,
    );
    const value = Buffer.from(
      this.data.subarray(at + COUNT_BYTES + KEY_BYTES + CHECK_BYTES, at + this.cellBytes),
    );
    const hash = entryHash(key, value);
    if (!hash.subarray(12, 12 + CHECK_BYTES).equals(check)) return undefined;
    // A lone entry also sits in its own cells: checking that this cell is one of them rules out a mixed cell
    // whose check bytes happen to match.
    if (!cellsOf(hash).includes(cell)) return undefined;
    return { sign: count === 1 ? 1 : -1, key, value };
  }

  private apply(sign: 1 | -1, key: Buffer, value: Buffer, hash: Buffer): void {
    for (const cell of cellsOf(hash)) {
      const at = cell * this.cellBytes;
      this.data.writeUInt16BE((this.data.readUInt16BE(at) + sign) & 0xffff, at);
      xorInto(this.data, at + COUNT_BYTES, key);
      xorInto(this.data, at + COUNT_BYTES + KEY_BYTES, hash.subarray(12, 12 + CHECK_BYTES));
      xorInto(this.data, at + COUNT_BYTES + KEY_BYTES + CHECK_BYTES, value);
    }
  }
}

function entryHash(key: Buffer, value: Buffer): Buffer {
  return sha256(Buffer.concat([key, value]));
}

function cellsOf(hash: Buffer): number[] {
  return Array.from(
    { length: HASHES },
    (_, j) => j * SKETCH_TABLE_CELLS + (hash.readUInt32BE(4 * j) % SKETCH_TABLE_CELLS),
  );
}

function xorInto(target: Buffer, at: number, bytes: Buffer): void {
  for (let i = 0; i < bytes.length; i++) target[at + i]! ^= bytes[i]!;
}
