import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { decryptStream } from '../backup-format/crypto.js';
import { ActionError, InputError, ManifestError, describeError } from './errors.js';
import type { IfExists } from '../action/inputs.js';
import type { Manifest, ManifestCollection } from '../backup-format/manifest.js';
import { readManifest } from '../backup-format/manifest.js';
import { selectNames } from './selection.js';
import { mapPool } from '../util/pool.js';
import { uploadedSnapshotName, type QdrantClient } from '../qdrant/client.js';
import type { AliasDescription, AliasOperation } from '../qdrant/types.js';
import type { Reporter } from './reporter.js';
import { validateBackupFolder } from '../backup-format/folder.js';
import { tap } from '../util/tap.js';
import { checkVersionCompatible } from './version.js';
import { verifyCollections, type VerifyResult } from './verify.js';

export interface RestoreOptions {
  path: string;
  collections: string[];
  exclude: string[];
  rename: Map<string, string>;
  ifExists: IfExists;
  verify: boolean;
  concurrency: number;
  aliases: boolean;
  allowVersionMismatch: boolean;
  encryptionKey?: string;
  /** Where decrypted copies are kept while uploading; defaults to the OS temp folder. */
  tempDir?: string;
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

interface Planned {
  entry: ManifestCollection;
  target: string;
  exists: boolean;
  /** The collection that the target name reaches as an alias: Qdrant resolves an upload there. */
  aliasOf?: string;
}

/** Restores the backup at `options.path` into the server, then verifies it against the manifest. */
export async function runRestore(
  client: QdrantClient,
  options: RestoreOptions,
  reporter: Reporter,
): Promise<RestoreResult> {
  // Everything about the backup is checked before the first request to the server.
  const manifest = await readManifest(options.path);
  if (!manifest.complete) {
    reporter.warning(
      `This backup is incomplete: ${manifest.failed.map((f) => `${f.name} (${f.error})`).join(', ') || 'some collections failed'}. The others are restored.`,
    );
  }
  const names = selectNames(
    manifest.collections.map((c) => c.name),
    options.collections,
    options.exclude,
    'the backup',
  );
  if (names.length === 0) {
    throw new InputError(
      `No collection of the backup matches collections '${options.collections.join(', ')}'${options.exclude.length ? ` minus exclude '${options.exclude.join(', ')}'` : ''}; the backup has: ${manifest.collections.map((c) => c.name).join(', ') || 'none'}.`,
    );
  }
  for (const from of options.rename.keys()) {
    if (!names.includes(from)) {
      throw new InputError(
        `Input 'rename' renames ${JSON.stringify(from)}, which is not among the collections being restored (${names.join(', ')}).`,
      );
    }
  }
  const selected = manifest.collections.filter((c) => names.includes(c.name));
  await validateBackupFolder(options.path, manifest, selected);
  reporter.info(
    `Backup validated: ${selected.length} collection(s), sizes and SHA-256 checksums match the manifest.`,
  );

  let tempDir: string | undefined;
  if (manifest.encryption) {
    const tempRoot = options.tempDir ?? os.tmpdir();
    await mkdir(tempRoot, { recursive: true });
    tempDir = await mkdtemp(path.join(tempRoot, 'qdrant-snapshot-'));
  }
  try {
    const files = await plaintextFiles(manifest, selected, options, tempDir);

    const { version } = await client.version();
    checkVersionCompatible(
      manifest.qdrant_version,
      version,
      client.url,
      options.allowVersionMismatch,
      reporter,
    );
    const existing = new Set(await client.listCollections());
    const serverAliases = await client.aliases();
    const plan: Planned[] = selected.map((entry) => {
      const target = options.rename.get(entry.name) ?? entry.name;
      const aliasOf = serverAliases.find((a) => a.alias_name === target)?.collection_name;
      return { entry, target, exists: existing.has(target) || aliasOf !== undefined, aliasOf };
    });
    checkConflicts(plan, serverAliases, options, client.url);

    const outcomes = await mapPool(
      plan,
      options.concurrency,
      async ({ entry, target, exists, aliasOf }): Promise<CollectionRestore> => {
        const base = { name: entry.name, target, points: entry.points, size: entry.snapshot_size };
        if (exists && options.ifExists === 'skip') {
          reporter.info(
            `${aliasOf ? `${target} is an alias of collection ${aliasOf}` : `Collection ${target} exists`}; skipped (if-exists: skip).`,
          );
          return { ...base, outcome: 'skipped', durationMs: 0 };
        }
        const started = Date.now();
        try {
          await reporter.group(
            `Restore ${entry.name}${target !== entry.name ? ` as ${target}` : ''}`,
            async (scoped) => {
              scoped.info(
                `Uploading ${entry.file} (${entry.snapshot_size} bytes, ${entry.points} points)${exists ? ', replacing the existing collection (if-exists: overwrite)' : ''}.`,
              );
              await client.uploadSnapshot(target, files.get(entry.name)!, {
                checksum: entry.snapshot_sha256,
                priority: 'snapshot',
              });
              // Qdrant keeps the uploaded file among the collection's snapshots (named after the multipart
              // file name): remove it so a restore leaves nothing behind on the server.
              await client.deleteSnapshot(target, uploadedSnapshotName(target)).catch(() => {});
            },
          );
          return { ...base, outcome: 'restored', durationMs: Date.now() - started };
        } catch (error) {
          reporter.warning(`Collection ${target} was not restored: ${describeError(error)}`);
          return {
            ...base,
            outcome: 'failed',
            durationMs: Date.now() - started,
            error: describeError(error),
          };
        }
      },
    );

    const restored = outcomes.filter((o) => o.outcome === 'restored');
    if (options.aliases)
      await restoreAliases(client, plan, restored, serverAliases, options.ifExists, reporter);

    let verified = false;
    if (options.verify && restored.length > 0) {
      const results = await verifyCollections(
        client,
        plan
          .filter((p) => restored.some((r) => r.target === p.target))
          .map((p) => ({
            expected: p.entry,
            target: p.target,
            aliases: options.aliases ? p.entry.aliases : [],
          })),
        options.concurrency,
      );
      for (const result of results) {
        const outcome = outcomes.find((o) => o.target === result.name)!;
        outcome.verify = result;
        if (result.points !== undefined) outcome.points = result.points;
      }
      verified = results.every((r) => r.ok);
    }
    return {
      qdrantVersion: version,
      manifest,
      collections: outcomes,
      verified,
      points: outcomes.filter((o) => o.outcome !== 'failed').reduce((sum, o) => sum + o.points, 0),
    };
  } finally {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  }
}

/**
 * The files to upload: the backup's own, or decrypted copies checked against the snapshot's SHA-256.
 * A missing or wrong key fails here, before the server is touched.
 */
async function plaintextFiles(
  manifest: Manifest,
  selected: ManifestCollection[],
  options: RestoreOptions,
  tempDir: string | undefined,
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  if (!manifest.encryption) {
    for (const entry of selected) files.set(entry.name, path.join(options.path, entry.file));
    return files;
  }
  if (!options.encryptionKey) {
    throw new ManifestError(
      "This backup is encrypted (age); give the key it was made with in 'encryption-key' (for example ${{ secrets.QDRANT_BACKUP_KEY }}).",
    );
  }
  for (const entry of selected) {
    const plain = path.join(tempDir!, `${entry.file}.plain`);
    const hash = createHash('sha256');
    await pipeline(
      createReadStream(path.join(options.path, entry.file)),
      decryptStream(options.encryptionKey, entry.file),
      tap((chunk) => hash.update(chunk)),
      createWriteStream(plain),
    );
    const actual = hash.digest('hex');
    if (actual !== entry.snapshot_sha256) {
      throw new ManifestError(
        `${entry.file} decrypts to data with SHA-256 ${actual}; the manifest records ${entry.snapshot_sha256}. The backup is damaged: use another one.`,
      );
    }
    files.set(entry.name, plain);
  }
  return files;
}

function checkConflicts(
  plan: Planned[],
  serverAliases: AliasDescription[],
  options: RestoreOptions,
  url: string,
): void {
  // An alias name would lead the upload into the collection it points at: never a collection of the
  // backup's name, so not even 'overwrite' may write there.
  const aliased = plan.filter((p) => p.aliasOf !== undefined);
  if (options.ifExists === 'overwrite' && aliased.length > 0) {
    throw new ActionError(
      `Nothing was restored: ${aliased.map((p) => `${p.target} is an alias of collection ${p.aliasOf}`).join(', ')} at ${url}; a restore there would replace ${aliased.length === 1 ? 'that collection' : 'those collections'}, which if-exists: overwrite never does. Delete the alias first, or restore under other names with 'rename'.`,
    );
  }
  if (options.ifExists !== 'fail') return;
  const clashes = plan
    .filter((p) => p.exists)
    .map((p) => (p.aliasOf ? `alias ${p.target} (of collection ${p.aliasOf})` : `collection ${p.target}`));
  const aliasClashes = options.aliases
    ? plan.flatMap((p) =>
        p.entry.aliases
          .map((alias) => ({
            alias,
            current: serverAliases.find((a) => a.alias_name === alias),
            target: p.target,
          }))
          .filter(({ current, target }) => current && current.collection_name !== target)
          .map(({ alias, current }) => `alias ${alias} (points at ${current!.collection_name})`),
      )
    : [];
  if (clashes.length + aliasClashes.length > 0) {
    throw new ActionError(
      `Nothing was restored: ${[...clashes, ...aliasClashes].join(', ')} already exist(s) at ${url}, and if-exists: fail keeps them untouched. Set 'if-exists' to skip (keep them) or overwrite (replace them), or restore under other names with 'rename'.`,
    );
  }
}

async function restoreAliases(
  client: QdrantClient,
  plan: Planned[],
  restored: CollectionRestore[],
  serverAliases: AliasDescription[],
  ifExists: IfExists,
  reporter: Reporter,
): Promise<void> {
  const actions: AliasOperation[] = [];
  for (const { entry, target } of plan) {
    if (!restored.some((r) => r.target === target)) continue;
    for (const alias of entry.aliases) {
      const current = serverAliases.find((a) => a.alias_name === alias);
      if (current?.collection_name === target) continue;
      if (current && ifExists !== 'overwrite') {
        reporter.warning(
          `Alias ${alias} already points at ${current.collection_name}; kept (if-exists: ${ifExists}).`,
        );
        continue;
      }
      if (current) actions.push({ delete_alias: { alias_name: alias } });
      actions.push({ create_alias: { collection_name: target, alias_name: alias } });
    }
  }
  if (actions.length === 0) return;
  try {
    await client.updateAliases(actions);
    reporter.info(`Aliases restored: ${actions.filter((a) => 'create_alias' in a).length}.`);
  } catch (error) {
    reporter.warning(`Aliases were not restored: ${describeError(error)}`);
  }
}
