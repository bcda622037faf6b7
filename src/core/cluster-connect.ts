import { QdrantClient } from '../qdrant/client.js';
import { discoverCluster, unreachableMessage, type ClusterNodes } from './cluster/index.js';
import { connect } from './connect.js';
import { render } from './wording.js';
import type { Reporter } from './reporter.js';

export interface NodeConnection {
  /** The `nodes` setting: every node's REST URL; empty to derive them from GET /cluster. */
  nodes?: string[];
  apiKey?: string;
  timeoutSeconds?: number;
}

/** Discovery asks each node who it is: a node out of reach should be reported in seconds, not minutes. */
const PROBE_RETRY = { attempts: 2, baseDelayMs: 250, maxDelayMs: 1000 };
const PROBE_TIMEOUT_MS = 15_000;

/**
 * The nodes of the server at `client` (one, the entry itself, when distributed mode is off), each with a
 * client of the same key and deadline. Peers that did not answer are reported as a warning here; each
 * collection whose shards can only be had from them then fails naming the shards and peers.
 */
export async function discoverNodes(
  client: QdrantClient,
  connection: NodeConnection,
  reporter: Reporter,
): Promise<ClusterNodes> {
  const timeoutSeconds = connection.timeoutSeconds ?? 3600;
  const cluster = await discoverCluster(client, {
    url: client.url,
    nodes: connection.nodes,
    connect: (url) => connect({ url, apiKey: connection.apiKey, timeoutSeconds }, reporter),
    probe: (url) =>
      new QdrantClient({
        url,
        apiKey: connection.apiKey,
        timeoutMs: Math.min(PROBE_TIMEOUT_MS, timeoutSeconds * 1000),
        retry: PROBE_RETRY,
      }),
  });
  if (cluster.distributed) {
    const { nodes, entryPeerId } = cluster.topology;
    reporter.info(
      `Distributed mode: ${nodes.length} node(s), entered through peer ${entryPeerId}: ${nodes.map((n) => `peer ${n.peerId} at ${n.url || '(no URL)'}`).join(', ')}.`,
    );
    const unreachable = unreachableMessage(cluster, connection.nodes);
    if (unreachable) reporter.warning(render(unreachable, reporter.wording));
  }
  return cluster;
}
