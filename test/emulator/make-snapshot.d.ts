// Types of make-snapshot.js.
import type { PointInput } from './index.js';

export const DEFAULT_VERSION: string;

export interface SnapshotFileOptions {
  /** collection name recorded in meta.json */
  collection: string;
  /** a CreateCollection body ({ vectors: { size, distance } } ...) or a full stored config ({ params, ... });
   *  with randomPoints the default is { vectors: { size: dim, distance: 'Dot' } } */
  config?: Record<string, unknown>;
  /** explicit points (layout points.jsonl), validated and stored as the emulator would store them */
  points?: PointInput[];
  /** `count` points with ids 1..count and random float32 vectors of `dim` (layout vectors.bin, streamed) */
  randomPoints?: { count: number; dim: number };
  /** version recorded in meta.json; default '1.19.0' */
  version?: string;
}

export function writeSnapshotFile(
  path: string,
  opts: SnapshotFileOptions,
): Promise<{ size: number; sha256: string; points: number }>;
