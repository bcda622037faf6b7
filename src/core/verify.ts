import { isDeepStrictEqual } from 'node:util';
import type { QdrantClient } from '../qdrant/client.js';
import { mapPool } from '../util/pool.js';
import { clusterProblems, type ClusterNodes } from './cluster/index.js';
import { describeError } from './errors.js';
import type { Reporter } from './reporter.js';
import type { Target } from './selection.js';
import { verifyContent, type VerifyLevel } from './verify-content.js';

export interface VerifyResult {
  name: string;
  ok: boolean;
  points: number | undefined;
  problems: string[];
}

/** The parts of a collection's config that a restore must reproduce: vectors and sparse vectors. */
function vectorConfig(params: Record<string, unknown>) {
  return { vectors: params.vectors ?? null, sparse_vectors: params.sparse_vectors ?? null };
}

/**
 * Compares the live server with the backup's expectations: exact point count, vector and sparse-vector
 * config, aliases; beyond `counts`, also the whole config, payload indexes, status and content
 * (verify-content.ts). Never changes anything on the server.
 */
export async function verifyCollections(
  client: QdrantClient,
  targets: Target[],
  concurrency: number,
  reporter: Reporter,
  /** cluster: in distributed mode, replicas and shard keys are checked too (core/cluster/verify-cluster.ts). */
  { cluster, level = 'counts' }: { cluster?: ClusterNodes; level?: VerifyLevel } = {},
): Promise<VerifyResult[]> {
  const aliasList = await client.aliases();
  return mapPool(targets, concurrency, async ({ entry: expected, target, aliases }) => {
    const problems: string[] = [];
    let points: number | undefined;
    try {
      points = await client.exactCount(target);
      if (points !== expected.points) {
        problems.push(`points: expected ${expected.points}, found ${points}`);
      }
      const info = await client.collectionInfo(target);
      const want = vectorConfig((expected.config.params ?? {}) as Record<string, unknown>);
      const have = vectorConfig(info.config.params as unknown as Record<string, unknown>);
      if (!isDeepStrictEqual(want.vectors, have.vectors)) {
        problems.push(
          `vectors config: expected ${JSON.stringify(want.vectors)}, found ${JSON.stringify(have.vectors)}`,
        );
      }
      if (!isDeepStrictEqual(want.sparse_vectors, have.sparse_vectors)) {
        problems.push(
          `sparse vectors config: expected ${JSON.stringify(want.sparse_vectors)}, found ${JSON.stringify(have.sparse_vectors)}`,
        );
      }
      for (const alias of aliases) {
        const found = aliasList.find((a) => a.alias_name === alias);
        if (!found) problems.push(`alias ${alias}: missing`);
        else if (found.collection_name !== target) {
          problems.push(`alias ${alias}: points at ${found.collection_name}, expected ${target}`);
        }
      }
      if (cluster?.distributed) problems.push(...(await clusterProblems(cluster, target, expected)));
      problems.push(...(await verifyContent(client, expected, target, level, undefined, info)));
    } catch (error) {
      problems.push(describeError(error, reporter.wording));
    }
    return { name: target, ok: problems.length === 0, points, problems };
  });
}

export function describeFailures(results: VerifyResult[]): string {
  return results
    .filter((r) => !r.ok)
    .map((r) => `${r.name}: ${r.problems.join('; ')}`)
    .join('\n');
}
