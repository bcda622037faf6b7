// The action (bundled from src/, run as a process) against real Qdrant clusters (issue 16, phase 2): a
// three-node cluster with a 6-shard collection of replication factor 2 and a custom-sharded one with 3
// shard keys, backed up through one node's URL with `nodes`; restored into a fresh one-node cluster and
// into a plain single node (distributed mode off: the custom-sharded collection refused, nothing left).
import { readFile, readdir, mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/backup-format/manifest.js';
import {
  QDRANT_BINARY,
  startQdrantCluster,
  startQdrantNode,
  type QdrantCluster,
  type QdrantNode,
} from '../helpers/qdrant-process.js';
import { runCli } from '../helpers/cli-process.js';
import { runAction } from '../helpers/run-action.js';
import { call, retrieve, upsert } from './helpers.js';

const AUTO = 'auto6';
const KEYED = 'keyed';
const KEYS = ['a', 'b', 'c'];
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
const AUTO_IDS = range(1, 6000);
const KEY_IDS: Record<string, number[]> = {
  a: range(100_001, 1000),
  b: range(200_001, 1500),
  c: range(300_001, 500),
};
/** Runs the CLI bundled from src/ as a process. */
function cli(args: string[]) {
  return runCli(args, { home: os.tmpdir() });
}
const sample = (ids: number[], n: number) => ids.filter((_, i) => i % Math.ceil(ids.length / n) === 0);

const count = async (url: string, collection: string, shardKey?: string) =>
  (
    await call<{ count: number }>(url, 'POST', `/collections/${collection}/points/count`, {
      exact: true,
      ...(shardKey === undefined ? {} : { shard_key: shardKey }),
    })
  ).count;
const collections = async (url: string) =>
  (await call<{ collections: { name: string }[] }>(url, 'GET', '/collections')).collections
    .map((c) => c.name)
    .sort();

async function snapshotsLeft(node: QdrantNode): Promise<string[]> {
  const entries = await readdir(node.snapshotsDir, { recursive: true }).catch(() => []);
  return entries.filter((name) => /\.snapshot$/.test(name));
}

describe.skipIf(!QDRANT_BINARY)('the action backs up a real cluster shard by shard and restores it', () => {
  let source: QdrantCluster;
  let work: string;
  let backup: string;
  const targets: { stop(): Promise<unknown> }[] = [];

  beforeAll(async () => {
    source = await startQdrantCluster({ nodes: 3 });
    const url = source.nodes[0]!.url;
    await call(url, 'PUT', `/collections/${AUTO}`, {
      vectors: { size: 8, distance: 'Cosine' },
      shard_number: 6,
      replication_factor: 2,
    });
    await call(url, 'PUT', `/collections/${AUTO}/index?wait=true`, {
      field_name: 'group',
      field_schema: 'keyword',
    });
    await call(url, 'PUT', `/collections/${KEYED}`, {
      vectors: { size: 8, distance: 'Dot' },
      sharding_method: 'custom',
    });
    for (const key of KEYS) await call(url, 'PUT', `/collections/${KEYED}/shards`, { shard_key: key });
    await upsert(url, AUTO, AUTO_IDS);
    for (const key of KEYS) await upsert(url, KEYED, KEY_IDS[key]!, key);
    work = await mkdtemp(path.join(os.tmpdir(), 'cluster-action-'));
    backup = path.join(work, 'backup');
  }, 180_000);

  afterAll(async () => {
    for (const target of targets) await target.stop();
    await source?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  it('without `nodes`, peers on one host look like a load balancer: the backup fails saying so and writes nothing', async () => {
    const run = await runAction({
      mode: 'backup',
      url: source.nodes[1]!.url,
      path: path.join(work, 'derived'),
      artifact: 'false',
    });
    expect(run.code).not.toBe(0);
    expect(run.errors.join('\n')).toMatch(
      /cannot be reached one by one.*Set 'nodes' to every node's REST URL/s,
    );
    await expect(readdir(path.join(work, 'derived'))).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it('backs up through one node: one file per shard, per-shard points add up to the exact counts', async () => {
    const run = await runAction({
      mode: 'backup',
      url: source.nodes[1]!.url,
      nodes: source.nodes.map((node) => node.url).join('\n'),
      path: backup,
      artifact: 'false',
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.points).toBe(String(AUTO_IDS.length + 3000));
    const manifest = JSON.parse(await readFile(path.join(backup, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.cluster).toEqual({ peers: 3 });
    expect(manifest.complete).toBe(true);
    const auto = manifest.collections.find((c) => c.name === AUTO)!;
    const keyed = manifest.collections.find((c) => c.name === KEYED)!;
    expect(auto.level).toBe('shard');
    expect(auto.files.map((f) => f.shard!.id).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(auto.files.reduce((sum, f) => sum + f.points, 0)).toBe(await count(source.nodes[0]!.url, AUTO));
    expect(auto.points).toBe(AUTO_IDS.length);
    // The shards came from more than the node asked: it holds only some of them.
    expect(new Set(auto.files.map((f) => f.shard!.peer_id)).size).toBeGreaterThan(1);
    expect(auto.sharding).toMatchObject({ method: 'auto', shard_number: 6, replication_factor: 2 });
    expect(auto.payload_schema).toHaveProperty('group');
    expect(keyed.level).toBe('shard');
    expect(keyed.sharding.method).toBe('custom');
    for (const key of KEYS) {
      const files = keyed.files.filter((f) => f.shard!.key === key);
      expect(files.reduce((sum, f) => sum + f.points, 0)).toBe(KEY_IDS[key]!.length);
      expect(await count(source.nodes[0]!.url, KEYED, key)).toBe(KEY_IDS[key]!.length);
    }
    expect(keyed.points).toBe(3000);
    for (const node of source.nodes) expect(await snapshotsLeft(node)).toEqual([]);
  }, 300_000);

  it('restores into a fresh one-node cluster: every point, shard keys, payload indexes, verified', async () => {
    const target = await startQdrantCluster({ nodes: 1 });
    targets.push(target);
    const url = target.nodes[0]!.url;
    const run = await runAction({ mode: 'restore', url, path: backup, artifact: 'false' });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.verified).toBe('true');
    expect(run.warnings.join('\n')).toMatch(/replication factor 2 lowered to 1/);
    expect(await count(url, AUTO)).toBe(AUTO_IDS.length);
    for (const key of KEYS) expect(await count(url, KEYED, key)).toBe(KEY_IDS[key]!.length);
    const info = await call<{
      payload_schema: Record<string, unknown>;
      config: { params: Record<string, unknown> };
    }>(url, 'GET', `/collections/${AUTO}`);
    expect(info.payload_schema).toHaveProperty('group');
    expect(info.config.params.shard_number).toBe(6);
    const ids = sample(AUTO_IDS, 100);
    expect(await retrieve(url, AUTO, ids)).toEqual(await retrieve(source.nodes[0]!.url, AUTO, ids));
    const keyIds = sample(KEY_IDS.b!, 100);
    expect(await retrieve(url, KEYED, keyIds)).toEqual(await retrieve(source.nodes[0]!.url, KEYED, keyIds));
  }, 300_000);

  it('into a plain single node: the auto-sharded collection restored, the custom-sharded refused, nothing left behind', async () => {
    const node = await startQdrantNode();
    targets.push(node);
    const run = await runAction({ mode: 'restore', url: node.url, path: backup, artifact: 'false' });
    expect(run.code).not.toBe(0);
    const said = run.errors.join('\n') + run.warnings.join('\n');
    expect(said).toMatch(/keyed.*custom sharding.*distributed mode off.*Enable cluster mode/s);
    expect(await collections(node.url)).toEqual([AUTO]);
    expect(await count(node.url, AUTO)).toBe(AUTO_IDS.length);
    const ids = sample(AUTO_IDS, 100);
    expect(await retrieve(node.url, AUTO, ids)).toEqual(await retrieve(source.nodes[0]!.url, AUTO, ids));
  }, 300_000);
  it('the CLI verifies the cluster against the backup through one node with --nodes; a shard-level restore never merges into an existing collection', async () => {
    const nodes = source.nodes.map((node) => node.url).join(',');
    const verify = await cli(['verify', backup, '--url', source.nodes[2]!.url, '--nodes', nodes]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(new RegExp(`ok +${AUTO} \\(${AUTO_IDS.length} points\\)`));
    expect(verify.stdout).toMatch(/ok +keyed \(3000 points\)/);
    const before = await count(source.nodes[0]!.url, AUTO);
    const restore = await cli([
      'restore',
      backup,
      '--url',
      source.nodes[0]!.url,
      '--nodes',
      nodes,
      '--if-exists',
      'overwrite',
      '--collections',
      AUTO,
    ]);
    expect(restore.code).not.toBe(0);
    expect(restore.stderr + restore.stdout).toMatch(
      /restored only into a new collection.*--if-exists overwrite.*--rename/s,
    );
    expect(await count(source.nodes[0]!.url, AUTO)).toBe(before);
  }, 300_000);
  it('an encrypted shard-level backup is restored shard by shard into a one-node cluster under another name', async () => {
    const key = 'cluster-backup-passphrase-0123456789';
    const encrypted = path.join(work, 'encrypted');
    const nodes = source.nodes.map((node) => node.url).join(',');
    const made = await runAction({
      mode: 'backup',
      url: source.nodes[0]!.url,
      nodes,
      collections: KEYED,
      path: encrypted,
      artifact: 'false',
      'encryption-key': key,
    });
    expect(made.code, made.stdout + made.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(encrypted, 'manifest.json'), 'utf8')) as Manifest;
    const files = manifest.collections[0]!.files;
    expect(files).toHaveLength(3);
    expect(files.every((f) => f.file.endsWith('.snapshot.age') && f.sha256 !== f.snapshot_sha256)).toBe(true);
    const target = targets[0] as QdrantCluster;
    const url = target.nodes[0]!.url;
    const runnerTemp = path.join(work, 'runner-temp');
    const run = await runAction(
      {
        mode: 'restore',
        url,
        path: encrypted,
        artifact: 'false',
        'encryption-key': key,
        rename: `${KEYED}=keyed_copy`,
      },
      { env: { RUNNER_TEMP: runnerTemp } },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.verified).toBe('true');
    for (const k of KEYS) expect(await count(url, 'keyed_copy', k)).toBe(KEY_IDS[k]!.length);
    const ids = sample(KEY_IDS.c!, 50);
    expect(await retrieve(url, 'keyed_copy', ids)).toEqual(await retrieve(source.nodes[0]!.url, KEYED, ids));
    // Decrypted copies live only while uploading.
    expect(await readdir(runnerTemp)).toEqual([]);
  }, 600_000);
  it('a single-node backup into the three-node cluster is refused before anything is created', async () => {
    const plain = targets[1] as QdrantNode;
    const single = path.join(work, 'single');
    const made = await runAction({ mode: 'backup', url: plain.url, path: single, artifact: 'false' });
    expect(made.code, made.stdout + made.stderr).toBe(0);
    const run = await runAction({
      mode: 'restore',
      url: source.nodes[0]!.url,
      nodes: source.nodes.map((node) => node.url).join(','),
      path: single,
      artifact: 'false',
      rename: `${AUTO}=from_single`,
    });
    expect(run.code).not.toBe(0);
    expect(run.errors.join('\n') + run.warnings.join('\n')).toMatch(
      /backed up from a single node.*Nothing was created/s,
    );
    expect(await collections(source.nodes[0]!.url)).not.toContain('from_single');
  }, 300_000);
});
