// Entry of the temporary bundle bench/cluster.mjs builds with ncc: the cluster modules, the client and the
// real Qdrant fixture, until phase 2 wires the cluster modules into the CLI.
export { QdrantClient } from '../../src/qdrant/client.js';
export {
  backupCollectionShards,
  discoverCluster,
  readLayout,
  restoreCollectionShards,
} from '../../src/core/cluster/index.js';
export { startQdrantCluster, startQdrantNode } from '../../test/helpers/qdrant-process.js';
