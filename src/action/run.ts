import * as path from 'node:path';
import * as core from '@actions/core';
import { backupFiles } from '../backup-format/folder.js';
import { MANIFEST_FILE, readManifest } from '../backup-format/manifest.js';
import { runBackup, type BackupOptions } from '../core/backup.js';
import type { SnapshotLedger } from '../core/cancel.js';
import { connect } from '../core/connect.js';
import { describeError } from '../core/errors.js';
import { backupFailure, restoreFailure } from '../core/outcome.js';
import { backupReport, restoreReport, type Report } from '../core/report.js';
import { reportText } from '../core/report-text.js';
import type { Reporter } from '../core/reporter.js';
import { runRestore } from '../core/restore.js';
import { startServer } from '../server/start.js';
import { ArtifactStore } from '../storage/artifact.js';
import type { SavedBackup } from '../storage/types.js';
import { formatBytes } from '../util/format.js';
import { DEFAULT_QDRANT_VERSION, type Options } from './inputs.js';
import { artifactUrl, runUrl } from './links.js';
import { saveServerState } from './post-state.js';
import { copyToS3, fetchFromS3 } from './s3.js';
import { writeSummary } from './summary.js';

/**
 * The action's work once inputs are parsed. A backup starts or connects, then backs up. A restore fetches
 * the backup first, so that `start` can run the Qdrant release the backup was made with.
 */
export async function runAction(
  options: Options,
  reporter: Reporter,
  cancel: { signal?: AbortSignal; ledger?: (url: string) => SnapshotLedger } = {},
): Promise<void> {
  if (options.mode === 'backup') {
    const url = await serverUrl(options, options.qdrantVersion ?? DEFAULT_QDRANT_VERSION, reporter);
    const run = { ...options, signal: cancel.signal, ledger: cancel.ledger?.(url) };
    await withClient(options, url, reporter, (client) => backup(client, run, reporter));
    return;
  }
  const store = new ArtifactStore();
  const s3Url = options.s3.url;
  // An S3 bucket takes the place of the artifact.
  const fromS3 = s3Url ? await fetchFromS3({ ...options.s3, url: s3Url }, options.path, reporter) : undefined;
  const folder = fromS3
    ? fromS3.folder
    : options.artifact
      ? await store.fetch({ ...options, name: options.artifactName }, options.path, reporter)
      : options.path;
  core.setOutput('path', folder);
  core.setOutput('manifest', path.join(folder, MANIFEST_FILE));
  const url = await serverUrl(options, await restoreVersion(options, folder, reporter), reporter);
  const source: [string, string[]] = fromS3
    ? [fromS3.uri, []]
    : options.artifact
      ? artifactSource(options, store)
      : [folder, []];
  await withClient(options, url, reporter, (client) =>
    restore(client, { ...options, signal: cancel.signal }, folder, source, reporter),
  );
}

/** The URL of the Qdrant to use: the one `start` starts, or `url`. */
async function serverUrl(options: Options, version: string, reporter: Reporter): Promise<string> {
  const url =
    options.start === 'none'
      ? options.url
      : await startServer(
          { ...options, qdrantVersion: version, kind: options.start, record: saveServerState },
          reporter,
        );
  core.setOutput('url', url);
  return url;
}

/** The release a restore's `start` runs: `qdrant-version`, or the one the backup was made with. */
async function restoreVersion(options: Options, folder: string, reporter: Reporter): Promise<string> {
  if (options.qdrantVersion || options.start === 'none')
    return options.qdrantVersion ?? DEFAULT_QDRANT_VERSION;
  const made = /^\d+\.\d+\.\d+/.exec((await readManifest(folder)).qdrant_version)?.[0];
  if (!made) return DEFAULT_QDRANT_VERSION;
  reporter.info(
    `The backup was made with Qdrant ${made}: starting that release (set qdrant-version to choose another).`,
  );
  return `v${made}`;
}

async function withClient(
  options: Options,
  url: string,
  reporter: Reporter,
  work: (client: ReturnType<typeof connect>) => Promise<void>,
): Promise<void> {
  const client = connect({ ...options, url }, reporter);
  try {
    await work(client);
  } finally {
    await client.close();
  }
}

/** Where the restored backup came from, for the summary: the artifact, and the run that made it. */
function artifactSource(options: Options, store: ArtifactStore): [string, string[]] {
  const fetched = store.fetched;
  const name = `artifact '${options.artifactName}'`;
  if (!fetched?.runId || !fetched.repository) return [name, []];
  const run = runUrl(fetched.repository, fetched.runId);
  return [`${name} of run ${fetched.runId}`, [`Source run: [${fetched.runId}](${run})`]];
}

/** The report at the end of the log (a table and a one-line result) and in the job summary. */
async function publish(report: Report, reporter: Reporter): Promise<void> {
  reporter.info(`\n${reportText(report)}`);
  await writeSummary(report);
}

async function backup(
  client: ReturnType<typeof connect>,
  options: Options & Pick<BackupOptions, 'signal' | 'ledger'>,
  reporter: Reporter,
): Promise<void> {
  const result = await runBackup(client, options, reporter);
  core.setOutput('path', result.path);
  core.setOutput('manifest', result.manifestPath);
  core.setOutput('collections', JSON.stringify(result.collections.map((c) => c.name)));
  core.setOutput('points', String(result.points));
  let saved: SavedBackup | undefined;
  let stored = 'Artifact: none (`artifact: false`); the backup is in the folder above.';
  let uploadError: unknown;
  if (options.artifact) {
    try {
      saved = await new ArtifactStore(options).save(
        { folder: result.path, files: backupFiles(result.manifest) },
        options.artifactName,
      );
      const url = artifactUrl(saved.id!);
      core.setOutput('artifact-id', saved.id);
      if (url) core.setOutput('artifact-url', url);
      reporter.info(
        `Uploaded artifact '${saved.name}' (id ${saved.id}, ${formatBytes(saved.size)})${url ? `: ${url}` : ''}.`,
      );
      const link = url ? `[**${saved.name}**](${url})` : `**${saved.name}**`;
      stored = `Artifact: ${link} (id ${saved.id}, ${formatBytes(saved.size)})`;
    } catch (error) {
      // The summary still tells what was backed up, and where it is on disk.
      uploadError = error;
      stored = `❌ Artifact upload failed: ${describeError(error)} The backup is in the folder above.`;
    }
  }
  const s3 = options.s3.url ? await copyToS3(options, result, reporter) : [];
  await publish(backupReport(result, [stored, ...s3]), reporter);
  if (uploadError) throw uploadError;
  const failure = backupFailure(result, saved || s3.length ? 'uploaded' : undefined);
  if (failure) throw failure;
}

async function restore(
  client: ReturnType<typeof connect>,
  options: Options & { signal?: AbortSignal },
  folder: string,
  [source, notes]: [string, string[]],
  reporter: Reporter,
): Promise<void> {
  const result = await runRestore(
    client,
    { ...options, path: folder, tempDir: process.env.RUNNER_TEMP || undefined },
    reporter,
  );
  const live = result.collections.filter((c) => c.outcome !== 'failed');
  core.setOutput('collections', JSON.stringify(live.map((c) => c.target)));
  core.setOutput('points', String(result.points));
  core.setOutput('verified', String(result.verified));
  await publish(restoreReport(result, source, notes), reporter);
  const failure = restoreFailure(result);
  if (failure) throw failure;
}
