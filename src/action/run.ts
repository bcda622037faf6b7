import * as path from 'node:path';
import * as core from '@actions/core';
import { backupFiles } from '../backup-format/folder.js';
import { MANIFEST_FILE } from '../backup-format/manifest.js';
import { runBackup, type BackupOptions } from '../core/backup.js';
import type { SnapshotLedger } from '../core/cancel.js';
import { connect } from '../core/connect.js';
import { backupFailure, restoreFailure } from '../core/outcome.js';
import { backupReport, restoreReport } from '../core/report.js';
import type { Reporter } from '../core/reporter.js';
import { runRestore } from '../core/restore.js';
import type { QdrantClient } from '../qdrant/client.js';
import { startServer } from '../server/start.js';
import { ArtifactStore } from '../storage/artifact.js';
import type { SavedBackup } from '../storage/types.js';
import { formatBytes } from '../util/format.js';
import type { Options } from './inputs.js';
import { saveServerState } from './post-state.js';
import { writeSummary } from './summary.js';

/** The action's work once inputs are parsed: start or connect, back up or restore, set outputs. */
export async function runAction(
  options: Options,
  reporter: Reporter,
  cancel: { signal?: AbortSignal; ledger?: (url: string) => SnapshotLedger } = {},
): Promise<void> {
  const url =
    options.start === 'none'
      ? options.url
      : await startServer({ ...options, kind: options.start, record: saveServerState }, reporter);
  core.setOutput('url', url);
  const client = connect({ ...options, url }, reporter);
  try {
    if (options.mode === 'backup') {
      const run = { ...options, signal: cancel.signal, ledger: cancel.ledger?.(url) };
      await backup(client, run, reporter);
    } else await restore(client, options, reporter);
  } finally {
    await client.close();
  }
}

async function backup(
  client: QdrantClient,
  options: Options & Pick<BackupOptions, 'signal' | 'ledger'>,
  reporter: Reporter,
): Promise<void> {
  const result = await runBackup(client, options, reporter);
  core.setOutput('path', result.path);
  core.setOutput('manifest', result.manifestPath);
  core.setOutput('collections', JSON.stringify(result.collections.map((c) => c.name)));
  core.setOutput('points', String(result.points));
  let saved: SavedBackup | undefined;
  if (options.artifact) {
    const store = new ArtifactStore(options);
    saved = await store.save(
      { folder: result.path, files: backupFiles(result.manifest) },
      options.artifactName,
    );
    core.setOutput('artifact-id', saved.id);
    reporter.info(`Uploaded artifact '${saved.name}' (id ${saved.id}, ${saved.size} bytes).`);
  }
  const stored = saved
    ? `Artifact: **${saved.name}** (id ${saved.id}, ${formatBytes(saved.size)})`
    : 'Artifact: not uploaded (`artifact: false`); the backup is in the folder above.';
  await writeSummary(backupReport(result, [stored]));
  const failure = backupFailure(result, saved ? 'uploaded' : undefined);
  if (failure) throw failure;
}

async function restore(
  client: QdrantClient,
  options: Options & { signal?: AbortSignal },
  reporter: Reporter,
): Promise<void> {
  const folder = options.artifact
    ? await new ArtifactStore().fetch({ ...options, name: options.artifactName }, options.path, reporter)
    : options.path;
  core.setOutput('path', folder);
  core.setOutput('manifest', path.join(folder, MANIFEST_FILE));
  const result = await runRestore(
    client,
    { ...options, path: folder, tempDir: process.env.RUNNER_TEMP || undefined },
    reporter,
  );
  const live = result.collections.filter((c) => c.outcome !== 'failed');
  core.setOutput('collections', JSON.stringify(live.map((c) => c.target)));
  core.setOutput('points', String(result.points));
  core.setOutput('verified', String(result.verified));
  const source = options.artifact ? `artifact '${options.artifactName}'` : folder;
  await writeSummary(restoreReport(result, source));
  const failure = restoreFailure(result);
  if (failure) throw failure;
}
