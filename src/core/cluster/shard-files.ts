import type { ShardKey } from '../../qdrant/types.js';

/**
 * One shard's file in a shard-level backup: manifest version 2's `files[]` entry with `shard` set
 * (/work/MANIFEST-V2.md). Kept structural here so these modules need not wait for the manifest module.
 */
export interface ShardFileEntry {
  file: string;
  size: number;
  sha256: string;
  snapshot_size: number;
  snapshot_sha256: string;
  points: number;
  shard: { id: number; key: ShardKey | null; peer_id: number };
}

/** Manifest version 2's `sharding` of a collection. */
export interface ShardingRecord {
  method: 'auto' | 'custom';
  shard_number: number;
  replication_factor: number;
  shard_keys: ShardKey[];
}

/** What a shard-level restore needs of a manifest collection (version 2, `level: 'shard'`). */
export interface ShardLevelCollection {
  name: string;
  points: number;
  config: Record<string, unknown>;
  payload_schema: Record<string, unknown> | null;
  sharding: ShardingRecord;
  files: ShardFileEntry[];
}
