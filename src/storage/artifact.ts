import * as path from 'node:path';
import { emptyFolder } from '../backup-format/folder.js';
import { ActionError, describeError } from '../core/errors.js';
import type { Reporter } from '../core/reporter.js';
import { findLatestArtifact, type Repository } from './find-run.js';
import type { BackupStore, LocalBackup, SavedBackup } from './types.js';

/** Which artifact to fetch: of this run, of another run, or of the latest successful run of a workflow. */
export interface ArtifactRef {
  name: string;
  runId?: number;
  workflow?: string;
  branch?: string;
  repository?: Repository;
  githubToken?: string;
}

export interface ArtifactStoreOptions {
  retentionDays?: number;
  compressionLevel: number;
}

/** Backups as workflow artifacts (one artifact per backup folder). GitHub Actions only. */
/**
 * @actions/artifact, with the Azure and GitHub clients it brings, is loaded only by a run that uploads or
 * downloads an artifact: loading it took the action from 62 to 109 MiB of RSS on Node 24 before any work.
 */
async function artifactClient() {
  const { DefaultArtifactClient } = await import('@actions/artifact');
  return new DefaultArtifactClient();
}

export class ArtifactStore implements BackupStore<ArtifactRef> {
  /** The run and artifact the last fetch downloaded (for a link to them). */
  fetched?: { runId?: number; repository?: Repository; artifactId: number };

  constructor(private readonly options: ArtifactStoreOptions = { compressionLevel: 0 }) {}

  async save(backup: LocalBackup, name: string): Promise<SavedBackup> {
    const client = await artifactClient();
    try {
      const response = await client.uploadArtifact(
        name,
        backup.files.map((file) => path.join(backup.folder, file)),
        backup.folder,
        { retentionDays: this.options.retentionDays, compressionLevel: this.options.compressionLevel },
      );
      if (response.id === undefined) throw new ActionError('the artifact service returned no artifact id');
      return { id: String(response.id), size: response.size ?? 0, name };
    } catch (error) {
      const message = describeError(error);
      const hint = /conflict|already exists|409/i.test(message)
        ? ` An artifact named '${name}' already exists in this run (names are unique per run and immutable); set 'artifact-name' to another name, such as qdrant-snapshots-\${{ github.job }}.`
        : ' The backup is still on disk at the path output.';
      throw new ActionError(`Uploading artifact '${name}' failed: ${message}.${hint}`, { cause: error });
    }
  }

  async fetch(ref: ArtifactRef, into: string, reporter: Reporter): Promise<string> {
    const { folder, ...fetched } = await downloadArtifact(ref, into, reporter);
    this.fetched = fetched;
    return folder;
  }
}

async function downloadArtifact(
  source: ArtifactRef,
  destination: string,
  reporter: Reporter,
): Promise<{ folder: string; runId?: number; repository?: Repository; artifactId: number }> {
  const client = await artifactClient();
  const folder = await emptyFolder(destination);
  if (source.runId === undefined && source.workflow === undefined) {
    let id: number;
    try {
      id = (await client.getArtifact(source.name)).artifact.id;
    } catch (error) {
      throw new ActionError(
        `No artifact named '${source.name}' in this workflow run (${describeError(error)}). Run the backup step earlier in this run with the same 'artifact-name', or use 'run-id' / 'workflow' to restore from another run, or 'artifact: false' with 'path' for a local folder.`,
        { cause: error },
      );
    }
    reporter.info(`Downloading artifact '${source.name}' (id ${id}) of this run.`);
    const response = await client.downloadArtifact(id, { path: folder });
    if (response.digestMismatch)
      throw new ActionError(
        `Artifact '${source.name}' failed its digest check on download; run the restore again.`,
      );
    return { folder, artifactId: id };
  }
  if (!source.repository) {
    throw new ActionError(
      "Input 'repository' is empty and GITHUB_REPOSITORY is not set; give the owner/name that ran the backup.",
    );
  }
  if (!source.githubToken) {
    throw new ActionError(
      "Input 'github-token' is empty; downloading from another run needs a token with actions: read (the default is ${{ github.token }}).",
    );
  }
  const apiUrl = process.env.GITHUB_API_URL || 'https://api.github.com';
  let runId = source.runId;
  let artifactId: number | undefined;
  if (source.workflow !== undefined) {
    const found = await findLatestArtifact({
      apiUrl,
      token: source.githubToken,
      repository: source.repository,
      workflow: source.workflow,
      branch: source.branch,
      artifactName: source.name,
    });
    runId = found.runId;
    artifactId = found.artifactId;
    reporter.info(
      `Latest successful run of ${source.workflow}${source.branch ? ` on ${source.branch}` : ''} with '${source.name}': run ${runId}.`,
    );
  }
  const findBy = {
    token: source.githubToken,
    workflowRunId: runId!,
    repositoryOwner: source.repository.owner,
    repositoryName: source.repository.repo,
  };
  if (artifactId === undefined) {
    try {
      artifactId = (await client.getArtifact(source.name, { findBy })).artifact.id;
    } catch (error) {
      throw new ActionError(
        `No artifact named '${source.name}' in run ${runId} of ${source.repository.owner}/${source.repository.repo} (${describeError(error)}). Check 'run-id' and 'artifact-name'; artifacts expire after their retention period.`,
        { cause: error },
      );
    }
  }
  reporter.info(`Downloading artifact '${source.name}' (id ${artifactId}) of run ${runId}.`);
  await client.downloadArtifact(artifactId, { path: folder, findBy });
  return { folder, runId, repository: source.repository, artifactId };
}
