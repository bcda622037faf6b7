import type { ManifestCollection } from '../../backup-format/manifest.js';
import type { ShardKey } from '../../qdrant/types.js';
import { inactiveReplicas, readLayout } from './layout.js';
import { shardFiles } from './shard-files.js';
import type { ClusterNodes } from './topology.js';

/**
 * What a verification adds in a cluster: every replica of every shard Active, no shard transfer running,
 * and, for a custom-sharded collection backed up shard by shard, the exact count of each shard key. Returns
 * the problems found (empty when all is well); changes nothing.
 */
export async function clusterProblems(
  cluster: ClusterNodes,
  target: string,
  expected: ManifestCollection,
): Promise<string[]> {
  const problems: string[] = [];
  const layout = await readLayout(cluster.entry, target);
  for (const { shard, replica } of inactiveReplicas(layout)) {
    problems.push(
      `shard ${shard.id}${shard.key === null ? '' : ` (key ${JSON.stringify(shard.key)})`} on ${cluster.describe(replica.peerId)}: replica ${replica.state}, not Active`,
    );
  }
  if (layout.transfers > 0) problems.push(`${layout.transfers} shard transfer(s) still running`);
  const files = shardFiles(expected);
  if (expected.sharding.method === 'custom' && files) {
    const byKey = new Map<ShardKey, number>();
    for (const file of files) {
      if (file.shard.key !== null) byKey.set(file.shard.key, (byKey.get(file.shard.key) ?? 0) + file.points);
    }
    for (const [key, points] of byKey) {
      const found = await cluster.entry.exactCount(target, { shardKey: key });
      if (found !== points) {
        problems.push(`shard key ${JSON.stringify(key)}: expected ${points} points, found ${found}`);
      }
    }
  }
  return problems;
}
