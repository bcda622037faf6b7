import { DefaultArtifactClient } from '@actions/artifact';
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { ActionError, describeError } from '../core/errors.js';
import type { Repository } from '../action/inputs.js';
import type { Reporter } from '../core/reporter.js';
import { findLatestArtifact } from './find-run.js';

export interface UploadedArtifact {
  id: number;
  size: number;
  name: string;
}

/** Uploads the backup folder (manifest.json and its snapshot files) as one artifact. */
export async function uploadBackup(
  folder: string,
  files: string[],
  options: { name: string; retentionDays?: number; compressionLevel: number },
): Promise<UploadedArtifact> {
  const client = new DefaultArtifactClient();
  try {
    const response = await client.uploadArtifact(
      options.name,
      files.map((file) => path.join(folder, file)),
      folder,
      { retentionDays: options.retentionDays, compressionLevel: options.compressionLevel },
    );
    if (response.id === undefined) throw new ActionError('the artifact service returned no artifact id');
    return { id: response.id, size: response.size ?? 0, name: options.name };
  } catch (error) {
    const message = describeError(error);
    const hint = /conflict|already exists|409/i.test(message)
      ? ` An artifact named '${options.name}' already exists in this run (names are unique per run and immutable); set 'artifact-name' to another name, such as qdrant-snapshots-\${{ github.job }}.`
      : ' The backup is still on disk at the path output.';
    throw new ActionError(`Uploading artifact '${options.name}' failed: ${message}.${hint}`, {
      cause: error,
    });
  }
}

export interface ArtifactSource {
  name: string;
  runId?: number;
  workflow?: string;
  branch?: string;
  repository?: Repository;
  githubToken?: string;
}

/** A folder to download into that holds nothing yet, so no file of the user's is ever overwritten. */
async function emptyFolder(folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  if ((await readdir(folder)).length === 0) return folder;
  return mkdtemp(path.join(folder, 'download-'));
}

/** Downloads the backup artifact (this run, another run, or the latest successful run of a workflow). */
export async function downloadBackup(
  source: ArtifactSource,
  destination: string,
  reporter: Reporter,
): Promise<string> {
  const client = new DefaultArtifactClient();
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
    return folder;
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
  return folder;
}
