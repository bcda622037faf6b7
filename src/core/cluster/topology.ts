import type { QdrantClient } from '../../qdrant/client.js';
import { describeError } from '../errors.js';
import { ClusterError } from './errors.js';

/** One node of a cluster: its peer id, its internal (p2p) URI and the REST URL it is reached at. */
export interface ClusterNode {
  peerId: number;
  /** From GET /cluster: the p2p address (port 6335 by default), not a REST URL. */
  uri: string;
  /** REST URL: from the `nodes` setting, or derived from `uri` with the scheme and port of `url`. */
  url: string;
  /** How `url` was found, for messages. */
  source: 'nodes' | 'derived' | 'url';
}

export interface Topology {
  /** GET /cluster status: distributed mode on. */
  distributed: boolean;
  /** The peer `url` answered as (null when distributed mode is off). */
  entryPeerId: number | null;
  /** Every peer of the cluster (one entry, reached at `url`, when distributed mode is off). */
  nodes: ClusterNode[];
  /** Peers that did not answer at discovery, with why. Empty when all answered. */
  unreachable: { node: ClusterNode; reason: string }[];
}

export interface DiscoverOptions {
  /** The `url` setting: the node asked first. */
  url: string;
  /** The `nodes` setting, already split: every node's REST URL. Empty or undefined: derive from URIs. */
  nodes?: string[];
  /** Makes a client for a node URL (same api-key, deadlines and retries as the entry client). */
  connect: (url: string) => QdrantClient;
}

/** The nodes of a cluster with one client each; `client(peer)` for any peer, the entry node's for a plain node. */
export class ClusterNodes {
  constructor(
    readonly topology: Topology,
    readonly entry: QdrantClient,
    private readonly clients: Map<number, QdrantClient>,
  ) {}

  get distributed(): boolean {
    return this.topology.distributed;
  }

  /** Number of nodes shards can be placed on. */
  get size(): number {
    return this.topology.nodes.length;
  }

  node(peerId: number): ClusterNode | undefined {
    if (!this.distributed) return this.topology.nodes[0];
    return this.topology.nodes.find((node) => node.peerId === peerId);
  }

  /** The client of a peer; undefined for a peer not in the topology or unreachable at discovery. */
  client(peerId: number): QdrantClient | undefined {
    if (!this.distributed) return this.entry;
    return this.clients.get(peerId);
  }

  /** Why a peer cannot be used, or undefined when it can. */
  unreachable(peerId: number): string | undefined {
    if (!this.distributed) return undefined;
    const known = this.topology.unreachable.find(({ node }) => node.peerId === peerId);
    if (known) return known.reason;
    return this.clients.has(peerId) ? undefined : `peer ${peerId} is not a member of the cluster`;
  }

  /** "peer 123 (http://host:6333)" */
  describe(peerId: number): string {
    const node = this.node(peerId);
    return node ? `peer ${peerId} (${node.url})` : `peer ${peerId}`;
  }

  /** Closes the node clients made here (not the entry client, which the caller owns). */
  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].filter((c) => c !== this.entry).map((c) => c.close()));
  }
}

/** REST URL of a peer: its URI's host with the scheme, port and path of `url` (how Helm and operators name nodes). */
export function deriveNodeUrl(peerUri: string, url: string): string {
  const rest = new URL(url);
  rest.hostname = new URL(peerUri).hostname;
  return rest.toString().replace(/\/+$/, '');
}

/** Splits the `nodes` setting: comma or newline separated REST URLs. */
export function parseNodesSetting(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[,\n]/)
    .map((part) => part.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

const LOAD_BALANCER_HINT =
  "The nodes cannot be reached one by one: a shard-level backup must talk to each node's own REST API. Set 'nodes' to every node's REST URL " +
  '(for a Helm-deployed cluster: a self-hosted runner inside the cluster with http://qdrant-0.qdrant-headless:6333,..., or one `kubectl port-forward` per pod). ' +
  "Where nodes sit behind a load balancer (a managed service), back up from inside the cluster or use the provider's own backups: a partial backup is never reported as a success.";

/**
 * Finds out whether `entry` is part of a cluster and, if so, each peer's REST URL, and checks that every
 * peer answers as itself at that URL. A URL answering as another peer means a load balancer or a shared
 * address: that always fails (never a partial success). Peers that do not answer are listed in
 * `unreachable`; `assertReachable` turns them into an error naming peer id, URI, URL tried and `nodes`.
 */
export async function discoverCluster(entry: QdrantClient, options: DiscoverOptions): Promise<ClusterNodes> {
  const status = await entry.clusterInfo();
  if (status.status !== 'enabled') {
    const node: ClusterNode = { peerId: 0, uri: '', url: entry.url, source: 'url' };
    return new ClusterNodes(
      { distributed: false, entryPeerId: null, nodes: [node], unreachable: [] },
      entry,
      new Map(),
    );
  }
  const peers = Object.entries(status.peers)
    .map(([id, info]) => ({ peerId: Number(id), uri: info?.uri ?? '' }))
    .sort((a, b) => a.peerId - b.peerId);
  const given = options.nodes ?? [];
  const clients = new Map<number, QdrantClient>();
  const unreachable: Topology['unreachable'] = [];
  const nodes: ClusterNode[] = [];

  if (given.length > 0) {
    // Ask each given URL who it is; the peers none of them answered as are unreachable.
    const answers = new Map<number, string>();
    for (const url of given) {
      const client = url === entry.url ? entry : options.connect(url);
      const who = await whoIs(client).catch((error: unknown) => error as Error);
      if (who instanceof Error) {
        if (client !== entry) await client.close();
        throw new ClusterError(
          `The node URL ${url} in 'nodes' does not answer: ${describeError(who)} Fix or remove it in 'nodes'.`,
        );
      }
      if (!peers.some((peer) => peer.peerId === who)) {
        if (client !== entry) await client.close();
        throw new ClusterError(
          `The node URL ${url} in 'nodes' answered as peer ${who}, which is not a member of the cluster at ${entry.url} (peers ${peers.map((p) => p.peerId).join(', ')}). 'nodes' must list the nodes of that cluster.`,
        );
      }
      if (answers.has(who)) {
        if (client !== entry) await client.close();
        continue;
      }
      answers.set(who, url);
      clients.set(who, client);
    }
    for (const peer of peers) {
      const url = answers.get(peer.peerId);
      const node: ClusterNode = { ...peer, url: url ?? '', source: 'nodes' };
      nodes.push(node);
      if (!url) {
        unreachable.push({
          node,
          reason: `none of the URLs in 'nodes' (${given.join(', ')}) answered as this peer`,
        });
      }
    }
  } else {
    for (const peer of peers) {
      const url = peer.peerId === status.peer_id ? entry.url : deriveNodeUrl(peer.uri, entry.url);
      const node: ClusterNode = { ...peer, url, source: peer.peerId === status.peer_id ? 'url' : 'derived' };
      nodes.push(node);
      const client = node.source === 'url' ? entry : options.connect(url);
      const who = await whoIs(client).catch((error: unknown) => error as Error);
      if (who instanceof Error) {
        if (client !== entry) await client.close();
        unreachable.push({ node, reason: describeError(who) });
        continue;
      }
      if (who !== peer.peerId) {
        if (client !== entry) await client.close();
        await Promise.all([...clients.values()].filter((c) => c !== entry).map((c) => c.close()));
        throw new ClusterError(
          `Peer ${peer.peerId} (URI ${peer.uri}) was looked for at ${url}, derived from its URI and 'url', but that address answered as peer ${who}. ${LOAD_BALANCER_HINT}`,
        );
      }
      clients.set(peer.peerId, client);
    }
  }
  // The same address answering as different peers on two calls is a load balancer whatever 'nodes' says.
  for (const [peerId, client] of clients) {
    const again = await whoIs(client).catch(() => peerId);
    if (again !== peerId) {
      await Promise.all([...clients.values()].filter((c) => c !== entry).map((c) => c.close()));
      throw new ClusterError(
        `${client.url} answered as peer ${peerId}, then as peer ${again}. ${LOAD_BALANCER_HINT}`,
      );
    }
  }
  return new ClusterNodes(
    { distributed: true, entryPeerId: status.peer_id, nodes, unreachable },
    entry,
    clients,
  );
}

/** Throws when any peer did not answer at discovery, naming each peer id, URI, URL tried and `nodes`. */
export function assertReachable(cluster: ClusterNodes, nodesSetting: string[] | undefined): void {
  const { unreachable } = cluster.topology;
  if (unreachable.length === 0) return;
  const lines = unreachable.map(
    ({ node, reason }) =>
      `peer ${node.peerId} (URI ${node.uri}) ${node.url ? `at ${node.url}` : ''}${node.source === 'derived' ? " (derived from its URI and 'url')" : ''}: ${reason}`,
  );
  throw new ClusterError(
    `${unreachable.length} of ${cluster.size} cluster nodes cannot be reached: ${lines.join('; ')}. ` +
      (nodesSetting && nodesSetting.length > 0
        ? `'nodes' is set to ${nodesSetting.join(', ')}: add or fix the REST URL of each peer listed. `
        : "'nodes' is not set, so each node's REST URL was derived from its peer URI: set 'nodes' to every node's REST URL. ") +
      LOAD_BALANCER_HINT,
  );
}

/** The peer id a node answers as (GET / must answer as Qdrant first, so a wrong URL says so). */
async function whoIs(client: QdrantClient): Promise<number> {
  await client.version();
  const status = await client.clusterInfo();
  if (status.status !== 'enabled') {
    throw new ClusterError(
      `${client.url} is a Qdrant node with distributed mode off, not a member of this cluster.`,
    );
  }
  return status.peer_id;
}
