// Cluster-aware backup and restore (issue 16): topology, shard layout, shard-level backup and restore.
export { ClusterError, MissingShardsError } from './errors.js';
export {
  assertReachable,
  ClusterNodes,
  deriveNodeUrl,
  discoverCluster,
  parseNodesSetting,
} from './topology.js';
export type { ClusterNode, DiscoverOptions, Topology } from './topology.js';
export { activePeers, describeReplicas, inactiveReplicas, readLayout } from './layout.js';
export type { CollectionLayout, ShardLayout, ShardReplica } from './layout.js';
export { backupCollectionShards, shardingRecord } from './shard-backup.js';
export type { ShardBackupOptions, ShardBackupResult, ShardSnapshotMethod } from './shard-backup.js';
export {
  payloadIndexSchema,
  planShardRestore,
  restoreCollectionShards,
  waitAllActive,
} from './shard-restore.js';
export type { ShardRestoreOptions, ShardRestorePlan, ShardRestoreResult } from './shard-restore.js';
export { createCollectionBody } from './collection-config.js';
export type { ShardFileEntry, ShardingRecord, ShardLevelCollection } from './shard-files.js';
