import { ActionError } from '../core/errors.js';

/** A GitHub repository, owner/name. */
export interface Repository {
  owner: string;
  repo: string;
}

export interface FoundArtifact {
  runId: number;
  artifactId: number;
  createdAt?: string;
}

interface WorkflowRun {
  id: number;
  head_branch: string | null;
  created_at: string;
  conclusion: string | null;
}

interface RunArtifact {
  id: number;
  name: string;
  expired: boolean;
  created_at?: string;
}

const API_VERSION = '2022-11-28';

async function githubGet<T>(apiUrl: string, route: string, token: string): Promise<T> {
  const response = await fetch(`${apiUrl}${route}`, {
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${token}`,
      'x-github-api-version': API_VERSION,
      'user-agent': 'qdrant-snapshot-action',
    },
  });
  if (response.status === 404) return Promise.reject(Object.assign(new Error('not found'), { status: 404 }));
  if (!response.ok) {
    const hint =
      response.status === 401 || response.status === 403
        ? " Check 'github-token': it needs actions: read on the repository (add `permissions: actions: read` to the job)."
        : '';
    throw new ActionError(`GitHub API answered ${response.status} to GET ${route}.${hint}`);
  }
  return (await response.json()) as T;
}

/**
 * The newest successful run of `workflow` (optionally on `branch`) that still holds an unexpired artifact
 * named `artifactName`. This is how CI seeds fixtures from the nightly backup.
 */
export async function findLatestArtifact(options: {
  apiUrl: string;
  token: string;
  repository: Repository;
  workflow: string;
  branch?: string;
  artifactName: string;
  maxRuns?: number;
}): Promise<FoundArtifact> {
  const { apiUrl, token, repository, workflow, branch, artifactName } = options;
  const maxRuns = options.maxRuns ?? 100;
  const base = `/repos/${repository.owner}/${repository.repo}`;
  const inspected: number[] = [];
  for (let page = 1; inspected.length < maxRuns; page++) {
    const query = new URLSearchParams({ status: 'success', per_page: '50', page: String(page) });
    if (branch) query.set('branch', branch);
    let runs: WorkflowRun[];
    try {
      runs = (
        await githubGet<{ workflow_runs: WorkflowRun[] }>(
          apiUrl,
          `${base}/actions/workflows/${encodeURIComponent(workflow)}/runs?${query}`,
          token,
        )
      ).workflow_runs;
    } catch (error) {
      if ((error as { status?: number }).status === 404) {
        throw new ActionError(
          `Workflow ${workflow} was not found in ${repository.owner}/${repository.repo}. Set 'workflow' to the file name under .github/workflows (such as backup.yml) or its id, and 'repository' if it lives elsewhere.`,
        );
      }
      throw error;
    }
    if (runs.length === 0) break;
    for (const run of runs) {
      if (inspected.length >= maxRuns) break;
      inspected.push(run.id);
      const { artifacts } = await githubGet<{ artifacts: RunArtifact[] }>(
        apiUrl,
        `${base}/actions/runs/${run.id}/artifacts?name=${encodeURIComponent(artifactName)}&per_page=100`,
        token,
      );
      const usable = artifacts.find((a) => a.name === artifactName && !a.expired);
      if (usable)
        return { runId: run.id, artifactId: usable.id, createdAt: usable.created_at ?? run.created_at };
    }
  }
  throw new ActionError(
    `No backup found: looked for artifact '${artifactName}' in successful runs of workflow ${workflow}${branch ? ` on branch ${branch}` : ''} in ${repository.owner}/${repository.repo}, and inspected ${inspected.length} run(s)${inspected.length ? ` (${inspected.slice(0, 10).join(', ')}${inspected.length > 10 ? ', ...' : ''})` : ''}; none holds an unexpired artifact of that name. Run the backup workflow first, or check 'artifact-name' and 'branch'.`,
  );
}
