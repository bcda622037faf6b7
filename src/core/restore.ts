import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkKeyOpens, plaintextFile, type Decryption } from '../backup-format/crypto.js';
import { openEncryption } from '../backup-format/encryption.js';
import { validateBackupFolder } from '../backup-format/folder.js';
import { readManifest, storedBytes, type Manifest } from '../backup-format/manifest.js';
import type { QdrantClient } from '../qdrant/client.js';
import { mapPool } from '../util/pool.js';
import { restoreAliases } from './aliases.js';
import type { ClusterNodes } from './cluster/index.js';
import { discoverNodes, type NodeConnection } from './cluster-connect.js';
import { refuseCollectionLevelIntoCluster, restoreShardLevel, settleReplicas } from './restore-shards.js';
import { ActionError, describeError } from './errors.js';
import { recreateFromBackup } from './overwrite.js';
import type { Reporter } from './reporter.js';
import { planRestore, type Planned } from './restore-plan.js';
import { selectTargets, type BackupSelection, type Target } from './selection.js';
import type { IfExists } from './settings.js';
import { checkVerifyLevel, type VerifyLevel } from './verify-content.js';
import { verifyCollections, type VerifyResult } from './verify.js';
import { render, say, settingValue } from './wording.js';

export interface RestoreOptions extends BackupSelection, NodeConnection {
  path: string;
  ifExists: IfExists;
  verify: VerifyLevel | false;
  concurrency: number;
  allowVersionMismatch: boolean;
  encryptionKey?: string;
  encryptionIdentity?: string[];
  /** Where decrypted copies are kept while uploading; defaults to the OS temp folder. */
  tempDir?: string;
  /** Aborted on cancellation: uploads stop (the client removes what it uploaded), nothing new starts. */
  signal?: AbortSignal;
}

export type CollectionOutcome = 'restored' | 'skipped' | 'failed';

export interface CollectionRestore {
  name: string;
  target: string;
  outcome: CollectionOutcome;
  points: number;
  size: number;
  durationMs: number;
  error?: string;
  verify?: VerifyResult;
}

export interface RestoreResult {
  qdrantVersion: string;
  manifest: Manifest;
  collections: CollectionRestore[];
  /** True when verification ran and every restored collection passed it. */
  verified: boolean;
  points: number;
}

/**
 * Restores the backup at `options.path` into the server, then verifies it against the manifest: check the
 * backup, plan against the server, restore each collection, recreate aliases, verify.
 */
export async function runRestore(
  client: QdrantClient,
  options: RestoreOptions,
  reporter: Reporter,
): Promise<RestoreResult> {
  const { manifest, targets } = await checkBackup(options, reporter);
  const keys = manifest.encryption
    ? await openEncryption(options.path, manifest.encryption, options)
    : undefined;
  if (keys && targets[0]) await checkKeyOpens(options.path, targets[0].entry.files[0]!, keys);
  const tempDir = keys ? await makeTempDir(options.tempDir) : undefined;
  const decryption = keys && tempDir ? { keys, tempDir } : undefined;
  let cluster: ClusterNodes | undefined;
  try {
    const plan = await planRestore(client, manifest, targets, options, reporter);
    cluster = await discoverNodes(client, options, reporter);
    const nodes = cluster;
    const outcomes = await mapPool(plan.collections, options.concurrency, (planned) =>
      restoreCollection(client, nodes, planned, options, decryption, reporter),
    );
    const restored = plan.collections.filter((p) =>
      outcomes.some((o) => o.target === p.target && o.outcome === 'restored'),
    );
    await restoreAliases(client, restored, plan.serverAliases, options.ifExists, reporter);
    const verified =
      options.verify !== false &&
      (await verifyRestored(client, nodes, restored, outcomes, options, reporter));
    return {
      qdrantVersion: plan.qdrantVersion,
      manifest,
      collections: outcomes,
      verified,
      points: outcomes.filter((o) => o.outcome !== 'failed').reduce((sum, o) => sum + o.points, 0),
    };
  } finally {
    await cluster?.close();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}

/** Everything about the backup is checked before the first request to the server. */
async function checkBackup(
  options: RestoreOptions,
  reporter: Reporter,
): Promise<{ manifest: Manifest; targets: Target[] }> {
  const manifest = await readManifest(options.path);
  if (!manifest.complete) {
    reporter.warning(
      `This backup is incomplete: ${manifest.failed.map((f) => `${f.name} (${f.error})`).join(', ') || 'some collections failed'}. The others are restored.`,
    );
  }
  const targets = selectTargets(manifest.collections, options);
  checkVerifyLevel(
    targets.map((t) => t.entry),
    options.verify,
  );
  await validateBackupFolder(
    options.path,
    manifest,
    targets.map((t) => t.entry),
  );
  reporter.info(
    `Backup validated: ${targets.length} collection(s), sizes and SHA-256 checksums match the manifest.`,
  );
  return { manifest, targets };
}

async function makeTempDir(root = os.tmpdir()): Promise<string> {
  await mkdir(root, { recursive: true });
  return mkdtemp(path.join(root, 'qdrant-snapshot-'));
}

/** Uploads one collection's snapshot (or skips it); a failure is recorded, never thrown. */
async function restoreCollection(
  client: QdrantClient,
  cluster: ClusterNodes,
  { entry, target, exists, aliasOf }: Planned,
  { path: folder, ifExists, concurrency, signal }: RestoreOptions,
  decryption: Decryption | undefined,
  reporter: Reporter,
): Promise<CollectionRestore> {
  const [file] = entry.files;
  const base = { name: entry.name, target, points: entry.points, size: storedBytes(entry) };
  const words = (message: ReturnType<typeof say>) => render(message, reporter.wording);
  if (exists && ifExists === 'skip') {
    const what = aliasOf ? `${target} is an alias of collection ${aliasOf}` : `Collection ${target} exists`;
    reporter.info(words(say`${what}; skipped (${settingValue('if-exists', 'skip')}).`));
    return { ...base, outcome: 'skipped', durationMs: 0 };
  }
  const started = Date.now();
  try {
    signal?.throwIfAborted();
    await reporter.collection(
      target !== entry.name ? `${entry.name} → ${target}` : entry.name,
      async (scoped) => {
        if (entry.level === 'shard') {
          const options = { path: folder, ifExists, concurrency };
          return restoreShardLevel(cluster, entry, target, exists, options, decryption, scoped);
        }
        const replacing = exists
          ? say`, replacing the existing collection (${settingValue('if-exists', 'overwrite')}): it was deleted and created again with the backup's config and payload indexes`
          : [];
        if (!file) throw new ActionError(`${entry.name}: the manifest lists no snapshot file for it.`);
        refuseCollectionLevelIntoCluster(cluster, entry);
        scoped.info(
          words(
            say`Uploading ${file.file} (${file.snapshot_size} bytes, ${entry.points} points)${replacing}.`,
          ),
        );
        const plain = await plaintextFile(folder, file, decryption);
        try {
          // Only once the file is ready to upload: a backup that cannot be read never costs the collection.
          if (exists) await recreateFromBackup(client, entry, target);
          await client.uploadSnapshot(target, plain.path, {
            checksum: file.snapshot_sha256,
            priority: 'snapshot',
            signal,
          });
        } finally {
          await plain.discard();
        }
        await settleReplicas(cluster, target, scoped);
      },
    );
    return { ...base, outcome: 'restored', durationMs: Date.now() - started };
  } catch (error) {
    const message = describeError(error, reporter.wording);
    reporter.warning(`Collection ${target} was not restored: ${message}`);
    return { ...base, outcome: 'failed', durationMs: Date.now() - started, error: message };
  }
}

/** Verifies the restored collections, recording each result (and the exact count found) on its outcome. */
async function verifyRestored(
  client: QdrantClient,
  cluster: ClusterNodes,
  restored: Target[],
  outcomes: CollectionRestore[],
  options: RestoreOptions,
  reporter: Reporter,
): Promise<boolean> {
  if (restored.length === 0) return false;
  const level = options.verify === false ? 'counts' : options.verify;
  reporter.info(`Verifying ${restored.length} collection(s) (verify: ${level}).`);
  const results = await verifyCollections(client, restored, options.concurrency, reporter, {
    cluster,
    level,
  });
  for (const result of results) {
    const outcome = outcomes.find((o) => o.target === result.name)!;
    outcome.verify = result;
    if (result.points !== undefined) outcome.points = result.points;
  }
  return results.every((r) => r.ok);
}
