import * as path from 'node:path';
import * as core from '@actions/core';
import { runBackup } from '../core/backup.js';
import { ActionError, VerificationError } from '../core/errors.js';
import type { Options } from './inputs.js';
import { MANIFEST_FILE } from '../backup-format/manifest.js';
import { QdrantClient } from '../qdrant/client.js';
import type { Reporter } from '../core/reporter.js';
import { runRestore } from '../core/restore.js';
import { startServer } from '../server/start.js';
import { downloadBackup, uploadBackup } from '../storage/artifact.js';
import { backupReport, reportMarkdown, restoreReport } from '../core/report.js';
import { describeFailures } from '../core/verify.js';

/** The action's work once inputs are parsed: start or connect, back up or restore, report. */
export async function runAction(options: Options, reporter: Reporter): Promise<void> {
  const url = options.start === 'none' ? options.url : (await startServer(options, reporter)).url;
  core.setOutput('url', url);
  const client = new QdrantClient({
    url,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutSeconds * 1000,
    onRetry: (message) => reporter.warning(message),
  });
  try {
    if (options.mode === 'backup') await backup(client, options, reporter);
    else await restore(client, options, reporter);
  } finally {
    await client.close();
  }
}

async function backup(client: QdrantClient, options: Options, reporter: Reporter): Promise<void> {
  const result = await runBackup(client, options, reporter);
  core.setOutput('path', result.path);
  core.setOutput('manifest', result.manifestPath);
  core.setOutput('collections', JSON.stringify(result.collections.map((c) => c.name)));
  core.setOutput('points', String(result.points));
  let artifact;
  if (options.artifact) {
    artifact = await uploadBackup(result.path, [MANIFEST_FILE, ...result.collections.map((c) => c.file)], {
      name: options.artifactName,
      retentionDays: options.retentionDays,
      compressionLevel: options.compressionLevel,
    });
    core.setOutput('artifact-id', String(artifact.id));
    reporter.info(`Uploaded artifact '${artifact.name}' (id ${artifact.id}, ${artifact.size} bytes).`);
  }
  await core.summary.addRaw(reportMarkdown(backupReport(result, artifact))).write();
  if (result.failed.length > 0) {
    throw new ActionError(
      `The backup is incomplete: ${result.failed.map((f) => `${f.name}: ${f.error}`).join('; ')}. The other ${result.collections.length} collection(s) were saved${artifact ? ' and uploaded' : ''} with "complete": false.`,
    );
  }
}

async function restore(client: QdrantClient, options: Options, reporter: Reporter): Promise<void> {
  const folder = options.artifact
    ? await downloadBackup(
        {
          name: options.artifactName,
          runId: options.runId,
          workflow: options.workflow,
          branch: options.branch,
          repository: options.repository,
          githubToken: options.githubToken,
        },
        options.path,
        reporter,
      )
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
  await core.summary.addRaw(reportMarkdown(restoreReport(result, source))).write();
  const failed = result.collections.filter((c) => c.outcome === 'failed');
  if (failed.length > 0) {
    throw new ActionError(`Restore failed for ${failed.map((f) => `${f.target}: ${f.error}`).join('; ')}`);
  }
  const mismatches = result.collections.filter((c) => c.verify && !c.verify.ok);
  if (mismatches.length > 0) {
    throw new VerificationError(
      `Verification failed; the restored collections do not match the backup (they are kept for inspection):\n${describeFailures(mismatches.map((m) => m.verify!))}`,
    );
  }
}
