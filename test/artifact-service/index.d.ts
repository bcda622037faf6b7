// Types for index.js (the local artifact service). See index.js for behaviour.

export type FaultRoute =
  /** Twirp methods */
  | 'CreateArtifact'
  | 'FinalizeArtifact'
  | 'ListArtifacts'
  | 'GetSignedArtifactURL'
  | 'DeleteArtifact'
  /** any blob PUT (stage block, commit block list, single put) */
  | 'blob'
  /** blob GET/HEAD (the artifact download itself) */
  | 'download'
  /** GitHub REST routes */
  | 'ListRunArtifacts'
  | 'ListRepoArtifacts'
  | 'GetArtifact'
  | 'DeleteArtifactRest'
  | 'DownloadArtifactZip'
  | 'GetWorkflowRun'
  | 'ListRepoRuns'
  | 'ListWorkflows'
  | 'GetWorkflow'
  | 'ListWorkflowRuns';

export interface StoredArtifact {
  id: number;
  name: string;
  /** the run id given to env({ runId }) (a number when numeric) */
  runId: number | string;
  jobId: string;
  repository: string;
  /** size reported by the client in FinalizeArtifact (0 until finalized) */
  size: number;
  /** bytes actually stored */
  blobSize: number;
  /** 'sha256:<hex>' as sent by the client in FinalizeArtifact */
  digest: string | undefined;
  mimeType: string;
  /** the stored blob on disk (a zip unless the client used skipArchive) */
  zipPath: string;
  createdAt: Date;
  expiresAt: Date | null;
  expired: boolean;
  finalized: boolean;
}

export interface RequestLogEntry {
  method: string;
  /** URL path without the query (no signatures) */
  path: string;
  /** Twirp method, 'blob', 'download', a REST route name (see FaultRoute) or 'rest' */
  route: string;
  /** HTTP status, 0 until the response finished */
  status: number;
  /** time to the end of the response, in ms (0 until finished) */
  ms: number;
}

export interface WorkflowRunInput {
  id: number;
  /** workflow file name, e.g. 'backup.yml' */
  workflow: string;
  workflowId?: number;
  branch?: string;
  /** 'completed' | 'in_progress' | 'queued' ... (default 'completed') */
  status?: string;
  /** default 'success' when completed, else null */
  conclusion?: string | null;
  createdAt?: string | Date;
  repository?: string;
  /** workflow (and run) name; default: the file name without .yml */
  name?: string;
  event?: string;
  headSha?: string;
}

export interface EnvOptions {
  runId: number | string;
  /** job backend id; default `${runId}-job` */
  jobId?: string;
  /** default: the run's repository (addWorkflowRun) or the service default 'octo/repo' */
  repository?: string;
  /** GitHub REST token returned as GITHUB_TOKEN; default svc.token. The REST fake accepts any token. */
  token?: string;
  /** workflow file for GITHUB_WORKFLOW_REF; default the registered run's workflow or 'ci.yml' */
  workflow?: string;
}

export interface ArtifactService {
  /** 'http://127.0.0.1:PORT': Twirp results API, blob endpoints and the GitHub REST fake */
  readonly url: string;
  /** default GitHub REST token (env().GITHUB_TOKEN) */
  readonly token: string;
  /** every request handled (admin endpoints excluded), in order */
  readonly requests: RequestLogEntry[];
  close(): Promise<void>;
  /** environment for a child process acting as a job of run `runId` */
  env(options: EnvOptions): Record<string, string>;
  /** non-deleted artifacts, in creation order */
  artifacts(): StoredArtifact[];
  /** the uploaded zip's entries (directories skipped), CRC-checked */
  readArtifactEntries(id: number): Promise<Map<string, Buffer>>;
  /** register a workflow run for the REST fake; returns the REST representation */
  addWorkflowRun(run: WorkflowRunInput): Record<string, unknown>;
  expireArtifact(id: number): void;
  /** make the next `count` requests to `route` fail with `status` (0 = reset the connection) */
  inject(rule: { route: FaultRoute; failNext: { count?: number; status?: number; message?: string } }): void;
  clearInjections(): void;
}

export function startArtifactService(options: {
  dataDir: string;
  port?: number;
  host?: string;
  /** default repository for env() and addWorkflowRun(): 'octo/repo' */
  repository?: string;
  /** default GitHub REST token */
  token?: string;
}): Promise<ArtifactService>;
