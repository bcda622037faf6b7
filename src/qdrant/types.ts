import type { Schemas } from '@qdrant/js-client-rest';

// Request and response shapes come from Qdrant's own published schema types, so a misspelt field is a
// compile error. Imported as types only: nothing of that client is bundled.
export type VersionInfo = Schemas['VersionInfo'];
export type CollectionInfo = Schemas['CollectionInfo'];
export type CollectionParams = Schemas['CollectionParams'];
export type SnapshotDescription = Schemas['SnapshotDescription'];
export type AliasDescription = Schemas['AliasDescription'];
export type AliasOperation = Schemas['AliasOperations'];
export type CountResult = Schemas['CountResult'];
export type CollectionsResponse = Schemas['CollectionsResponse'];
export type CollectionsAliasesResponse = Schemas['CollectionsAliasesResponse'];
export type SnapshotPriority = Schemas['SnapshotPriority'];

// Clusters and shards.
export type ClusterStatus = Schemas['ClusterStatus'];
export type CollectionClusterInfo = Schemas['CollectionClusterInfo'];
export type LocalShardInfo = Schemas['LocalShardInfo'];
export type RemoteShardInfo = Schemas['RemoteShardInfo'];
export type ReplicaState = Schemas['ReplicaState'];
export type ShardKey = Schemas['ShardKey'];
export type ShardKeysResponse = Schemas['ShardKeysResponse'];
export type CreateShardingKey = Schemas['CreateShardingKey'];
export type ShardingMethod = Schemas['ShardingMethod'];
export type CollectionConfig = Schemas['CollectionConfig'];
export type CreateCollection = Schemas['CreateCollection'];
export type PayloadFieldSchema = Schemas['PayloadFieldSchema'];
export type PayloadIndexInfo = Schemas['PayloadIndexInfo'];

// Points as scroll and retrieve return them. Hand-written rather than Schemas['Record'] because an id above
// 2^53 is carried as a bigint (JSON numbers lose it), and the vector shapes are narrowed to what the
// server sends back.
/** An unsigned integer id (a bigint when above Number.MAX_SAFE_INTEGER) or a UUID string. */
export type PointId = number | bigint | string;
export interface SparseVector {
  indices: number[];
  values: number[];
}
/** One vector: dense (`number[]`), multi-vector (`number[][]`) or sparse. */
export type VectorOutput = number[] | number[][] | SparseVector;
/** A point's vectors: the unnamed vector alone, or vectors by name (`{}` when it has none). */
export type VectorStructOutput = number[] | number[][] | Record<string, VectorOutput>;
export interface PointRecord {
  id: PointId;
  payload?: Record<string, unknown> | null;
  vector?: VectorStructOutput | null;
}
export interface ScrollPage {
  points: PointRecord[];
  next_page_offset: PointId | null;
}
