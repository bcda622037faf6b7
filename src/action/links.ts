import type { Repository } from '../storage/find-run.js';

/** The web address of GitHub the run is on (GHE.com has its own). */
function server(env: NodeJS.ProcessEnv): string {
  return (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
}

/** A run's page: https://github.com/OWNER/REPO/actions/runs/RUN. */
export function runUrl(repository: Repository, runId: number | string, env = process.env): string {
  return `${server(env)}/${repository.owner}/${repository.repo}/actions/runs/${runId}`;
}

/**
 * An artifact's page, as actions/upload-artifact's `artifact-url` output gives it:
 * https://github.com/OWNER/REPO/actions/runs/RUN/artifacts/ID. Undefined outside a workflow run.
 */
export function artifactUrl(artifactId: string, env = process.env): string | undefined {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (!owner || !repo || !env.GITHUB_RUN_ID) return undefined;
  return `${runUrl({ owner, repo }, env.GITHUB_RUN_ID, env)}/artifacts/${artifactId}`;
}
