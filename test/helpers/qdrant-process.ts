// Real Qdrant servers for tests, started as a user would start the release binary: one node (with or
// without an api-key) or a cluster of N nodes on 127.0.0.1, each on free ports with its own storage,
// snapshots and working folder. Every process started here is stopped by stop() (SIGTERM, then SIGKILL
// after a grace period), and killed when the test process exits, whatever happened in between.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from './http-json.js';
import { noteTarget } from './target-usage.js';

/** The newest Qdrant the suites run against (a path to the binary), when set. */
export const QDRANT_BINARY = process.env.QDRANT_BINARY || undefined;
/** The release before it (1.18.3 today), for the cross-version test, when set. */
export const QDRANT_BINARY_PREVIOUS = process.env.QDRANT_BINARY_PREVIOUS || undefined;

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 30_000;
const CLUSTER_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

export interface NodeOptions {
  /** Path to the qdrant binary; default QDRANT_BINARY. */
  binary?: string;
  /** QDRANT__SERVICE__API_KEY: every request but /, /healthz, /livez and /readyz needs it. */
  apiKey?: string;
  /** QDRANT__SERVICE__READ_ONLY_API_KEY. */
  readOnlyKey?: string;
  /** More QDRANT__* settings. */
  env?: Record<string, string>;
  /** How long stop() waits after SIGTERM before SIGKILL (default 10 s). */
  stopGraceMs?: number;
}

export interface QdrantNode {
  readonly url: string;
  readonly apiKey?: string;
  readonly pid: number;
  readonly ports: { http: number; grpc: number; p2p: number };
  /** GET / version, e.g. '1.19.0'. */
  readonly version: string;
  /** The node's own folder: its working directory, holding storage/, snapshots/ and qdrant.log. */
  readonly dir: string;
  readonly storageDir: string;
  readonly snapshotsDir: string;
  /** Snapshot files the server keeps for a collection (its `.checksum` sidecars left out). */
  snapshotFiles(collection: string): string[];
  /** The server's log so far. */
  log(): Promise<string>;
  /** True while the process runs. */
  running(): boolean;
  /** SIGTERM, SIGKILL after the grace period; resolves once the process is gone. Removes the folder. */
  stop(options?: { keepData?: boolean }): Promise<StopResult>;
}

export interface StopResult {
  pid: number;
  /** 'stopped' on SIGTERM, 'killed' when the grace period ran out, 'gone' when it had already exited. */
  how: 'stopped' | 'killed' | 'gone';
  ms: number;
}

export interface QdrantCluster {
  readonly nodes: QdrantNode[];
  readonly apiKey?: string;
  /** Peer id of each node, in the order of `nodes`. */
  readonly peerIds: number[];
  stop(): Promise<StopResult[]>;
}

// Safety net: whatever a test does, no server outlives the test process.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** True when a process with that pid exists and is not a zombie. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

// Ports handed out by this process, so that two servers started back to back never get the same one.
const handedOut = new Set<number>();

async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen({ port: 0, host: HOST, exclusive: true }, () => {
        const address = server.address() as net.AddressInfo;
        server.close(() => resolve(address.port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function requireBinary(binary: string | undefined): string {
  if (!binary) throw new Error('No Qdrant binary: set QDRANT_BINARY to the path of a qdrant executable.');
  if (!existsSync(binary)) throw new Error(`QDRANT_BINARY points at ${binary}, which does not exist.`);
  return binary;
}

async function getJson<T>(url: string, apiKey?: string): Promise<T | undefined> {
  try {
    const response = await request('GET', url, {
      headers: apiKey ? { 'api-key': apiKey } : {},
      timeoutMs: 2_000,
    });
    return response.status === 200 ? (JSON.parse(response.text) as T) : undefined;
  } catch {
    return undefined;
  }
}

const isReady = (url: string) =>
  request('GET', `${url}/readyz`, { timeoutMs: 2_000 }).then(
    (response) => response.status === 200,
    () => false,
  );

interface Spawned {
  child: ChildProcess;
  exited: Promise<number | null>;
}

function spawnQdrant(binary: string, dir: string, env: Record<string, string>, args: string[]): Spawned {
  const logFd = openSync(path.join(dir, 'qdrant.log'), 'a');
  const child = spawn(binary, args, {
    cwd: dir,
    // A clean environment: only what a user would set, so the runner's own QDRANT__* never leak in.
    env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  live.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? (signal ? -1 : null));
    });
    child.once('error', () => {
      live.delete(child);
      resolve(-1);
    });
  });
  return { child, exited };
}

async function stopChild(spawned: Spawned, graceMs = STOP_GRACE_MS): Promise<StopResult> {
  const { child } = spawned;
  const pid = child.pid ?? -1;
  const started = Date.now();
  if (child.exitCode !== null || child.signalCode !== null) return { pid, how: 'gone', ms: 0 };
  child.kill('SIGTERM');
  const timer = sleep(graceMs).then(() => 'timeout' as const);
  const first = await Promise.race([spawned.exited.then(() => 'exited' as const), timer]);
  if (first === 'timeout') {
    child.kill('SIGKILL');
    await spawned.exited;
  }
  // The child is reaped once 'exit' fired: the pid must name no process now.
  if (processExists(pid)) throw new Error(`Qdrant (pid ${pid}) is still running after it was stopped`);
  return { pid, how: first === 'exited' ? 'stopped' : 'killed', ms: Date.now() - started };
}

function lastLines(text: string, n = 30): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

interface StartSpec extends NodeOptions {
  cluster?: { bootstrap?: number };
  /** Wait for /readyz (a joining cluster node answers it only once it caught up). */
  waitReady?: boolean;
}

async function startOnce(spec: StartSpec): Promise<QdrantNode & { portClash: boolean }> {
  const binary = requireBinary(spec.binary ?? QDRANT_BINARY);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qdrant-node-'));
  const storageDir = path.join(dir, 'storage');
  const snapshotsDir = path.join(dir, 'snapshots');
  await Promise.all([mkdir(storageDir), mkdir(snapshotsDir)]);
  const ports = { http: await freePort(), grpc: await freePort(), p2p: await freePort() };
  const env: Record<string, string> = {
    QDRANT__SERVICE__HOST: HOST,
    QDRANT__SERVICE__HTTP_PORT: String(ports.http),
    QDRANT__SERVICE__GRPC_PORT: String(ports.grpc),
    QDRANT__STORAGE__STORAGE_PATH: storageDir,
    QDRANT__STORAGE__SNAPSHOTS_PATH: snapshotsDir,
    QDRANT__TELEMETRY_DISABLED: 'true',
    ...(spec.apiKey ? { QDRANT__SERVICE__API_KEY: spec.apiKey } : {}),
    ...(spec.readOnlyKey ? { QDRANT__SERVICE__READ_ONLY_API_KEY: spec.readOnlyKey } : {}),
    ...spec.env,
  };
  const args: string[] = [];
  if (spec.cluster) {
    env.QDRANT__CLUSTER__ENABLED = 'true';
    env.QDRANT__CLUSTER__P2P__PORT = String(ports.p2p);
    args.push('--uri', `http://${HOST}:${ports.p2p}`);
    if (spec.cluster.bootstrap) args.push('--bootstrap', `http://${HOST}:${spec.cluster.bootstrap}`);
  }
  const spawned = spawnQdrant(binary, dir, env, args);
  const url = `http://${HOST}:${ports.http}`;
  const log = () => readFile(path.join(dir, 'qdrant.log'), 'utf8').catch(() => '');
  const node = {
    url,
    apiKey: spec.apiKey,
    pid: spawned.child.pid ?? -1,
    ports,
    version: '',
    dir,
    storageDir,
    snapshotsDir,
    portClash: false,
    snapshotFiles(collection: string) {
      try {
        return readdirSync(path.join(snapshotsDir, collection))
          .filter((name) => !name.endsWith('.checksum'))
          .sort();
      } catch {
        return [];
      }
    },
    log,
    running: () => spawned.child.exitCode === null && spawned.child.signalCode === null,
    async stop(options: { keepData?: boolean } = {}) {
      const result = await stopChild(spawned, spec.stopGraceMs);
      if (!options.keepData && !process.env.QDRANT_KEEP_DATA) await rm(dir, { recursive: true, force: true });
      return result;
    },
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited = false;
  void spawned.exited.then(() => (exited = true));
  for (;;) {
    if (exited) {
      const text = await log();
      await rm(dir, { recursive: true, force: true });
      if (/address already in use|Address in use|os error 98/i.test(text))
        return { ...node, portClash: true };
      throw new Error(`Qdrant exited before it was ready (${binary}). Its log:\n${lastLines(text)}`);
    }
    const root = await getJson<{ version?: string }>(`${url}/`);
    const ready = root && (spec.waitReady === false || (await isReady(url)));
    if (root?.version && ready) {
      node.version = root.version;
      return node;
    }
    if (Date.now() > deadline) {
      const text = await log();
      await node.stop();
      throw new Error(
        `Qdrant at ${url} was not ready within ${START_TIMEOUT_MS / 1000} s. Its log:\n${lastLines(text)}`,
      );
    }
    await sleep(50);
  }
}

async function start(spec: StartSpec): Promise<QdrantNode> {
  // Another process may take a port between our check and Qdrant's bind: try again on new ports.
  for (let attempt = 1; ; attempt++) {
    const { portClash, ...node } = await startOnce(spec);
    if (!portClash) return node;
    if (attempt >= 3) throw new Error('Qdrant could not bind its ports three times in a row');
  }
}

/** One plain (non-distributed) Qdrant node, ready (/readyz answers) when this resolves. */
export function startQdrantNode(options: NodeOptions = {}): Promise<QdrantNode> {
  // Counted as a real Qdrant when it is one of the configured releases (not a stand-in script).
  if (!options.binary || [QDRANT_BINARY, QDRANT_BINARY_PREVIOUS].includes(options.binary))
    noteTarget('real-node');
  return start(options);
}

/** A one-node cluster (distributed mode on): shard keys and /collections/{c}/cluster work. */
export function startQdrantClusterNode(options: NodeOptions = {}): Promise<QdrantNode> {
  noteTarget('real-cluster');
  return start({ ...options, cluster: {} });
}

interface ClusterInfo {
  status: string;
  peer_id: number;
  peers: Record<string, { uri: string }>;
  raft_info: { leader: number | null; role: string | null; term: number; commit: number };
}

/**
 * A cluster of `nodes` Qdrant peers on 127.0.0.1: the first started with `--uri`, the others with
 * `--bootstrap` pointing at it. Ready when every node's GET /cluster lists all peers and the same raft
 * leader.
 */
export async function startQdrantCluster(options: NodeOptions & { nodes: number }): Promise<QdrantCluster> {
  noteTarget('real-cluster');
  const started: QdrantNode[] = [];
  const stopAll = async () => {
    const results = await Promise.all(started.map((node) => node.stop()));
    return results;
  };
  try {
    const first = await start({ ...options, cluster: {} });
    started.push(first);
    // Joining peers one at a time keeps raft membership changes simple (and is how an operator does it).
    for (let i = 1; i < options.nodes; i++) {
      started.push(await start({ ...options, cluster: { bootstrap: first.ports.p2p }, waitReady: false }));
    }
    const peerIds = await waitForCluster(started, options.apiKey);
    return { nodes: started, apiKey: options.apiKey, peerIds, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function waitForCluster(nodes: QdrantNode[], apiKey?: string): Promise<number[]> {
  const deadline = Date.now() + CLUSTER_TIMEOUT_MS;
  let last: (ClusterInfo | undefined)[] = [];
  while (Date.now() < deadline) {
    last = await Promise.all(
      nodes.map(
        async (node) => (await getJson<{ result: ClusterInfo }>(`${node.url}/cluster`, apiKey))?.result,
      ),
    );
    const leaders = new Set(last.map((info) => info?.raft_info.leader ?? 0));
    const complete = last.every(
      (info) => info?.status === 'enabled' && Object.keys(info.peers).length === nodes.length,
    );
    const readyz = await Promise.all(nodes.map((node) => isReady(node.url)));
    if (complete && leaders.size === 1 && !leaders.has(0) && readyz.every(Boolean))
      return last.map((info) => info!.peer_id);
    await sleep(100);
  }
  throw new Error(
    `The ${nodes.length}-node cluster did not form within ${CLUSTER_TIMEOUT_MS / 1000} s: ${JSON.stringify(last)}`,
  );
}
