import type { ManifestCollection, ManifestFile, Sharding } from '../../backup-format/manifest.js';

/** One shard's file in a shard-level backup: manifest version 2's `files[]` entry with `shard` set. */
export type ShardFileEntry = ManifestFile & { shard: NonNullable<ManifestFile['shard']> };

/** Manifest version 2's `sharding` of a collection. */
export type ShardingRecord = Sharding;

/** What a shard-level restore needs of a manifest collection (version 2, `level: 'shard'`). */
export type ShardLevelCollection = Pick<
  ManifestCollection,
  'name' | 'points' | 'config' | 'payload_schema' | 'sharding'
> & { files: ShardFileEntry[] };

/** The collection's files as shard entries, or undefined when one of them names no shard. */
export function shardFiles(collection: ManifestCollection): ShardFileEntry[] | undefined {
  const files = collection.files.filter((file): file is ShardFileEntry => file.shard !== undefined);
  return files.length === collection.files.length ? files : undefined;
}
