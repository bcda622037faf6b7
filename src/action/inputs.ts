import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../core/errors.js';
import { say } from '../core/wording.js';
import type { Repository } from '../storage/find-run.js';
import { S3_DEFAULTS, parseS3Settings, type S3Options } from '../storage/s3-settings.js';
import {
  DEFAULTS,
  bool,
  httpUrl,
  integer,
  oneOf,
  parseSettings,
  quoted,
  type Invalid,
  type Settings,
} from '../core/settings.js';

export const MODES = ['backup', 'restore'] as const;
export const START = ['none', 'docker', 'binary'] as const;
/**
 * The Qdrant release `start` runs in backup mode when `qdrant-version` is not given: the newest release the
 * tests cover. A restore runs the release the backup was made with (action/run.ts).
 */
export const DEFAULT_QDRANT_VERSION = 'v1.19.0';

export type Mode = (typeof MODES)[number];
export type Start = (typeof START)[number];

/**
 * The defaults of the action's own inputs, as action.yml states them ('' where the default is computed:
 * path, repository, retention-days, qdrant-version); the shared settings' defaults are core DEFAULTS.
 */
export const ACTION_DEFAULTS = {
  path: '',
  artifact: 'true',
  'artifact-name': 'qdrant-snapshots',
  'retention-days': '',
  /** Snapshot files barely compress: level 0 moves them fastest (README, Performance). */
  'compression-level': '0',
  'run-id': '',
  workflow: '',
  branch: '',
  repository: '',
  'github-token': '',
  start: 'none',
  'qdrant-version': '',
  'start-timeout': '60',
  'download-base-url': '',
} as const;

/** Every input of action.yml, parsed and validated once. */
export interface Options extends Settings {
  mode: Mode;
  path: string;
  artifact: boolean;
  artifactName: string;
  retentionDays?: number;
  compressionLevel: number;
  runId?: number;
  workflow?: string;
  branch?: string;
  repository?: Repository;
  githubToken?: string;
  start: Start;
  /** Undefined: DEFAULT_QDRANT_VERSION for a backup, the backup's own version for a restore. */
  qdrantVersion?: string;
  startTimeoutSeconds: number;
  downloadBaseUrl?: string;
  /** The off-site copy (s3-url, s3-endpoint, s3-region, keep, keep-days, restore-method). */
  s3: S3Options;
}

/** Reads one raw input by its action.yml name; '' when not set. */
export type InputReader = (name: string) => string;

/** Reads inputs the way the runner passes them: INPUT_<NAME> with spaces as underscores, upper-cased. */
export function readFromEnv(env: NodeJS.ProcessEnv): InputReader {
  return (name) => (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

const invalid: Invalid = (name, text) => new InputError(say`Input '${name}' ${text}`);

function repository(value: string): Repository | undefined {
  if (value === '') return undefined;
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(value);
  if (!match)
    throw invalid('repository', `got ${quoted(value)}; it accepts owner/name, such as octo-org/search.`);
  return { owner: match[1]!, repo: match[2]! };
}

/** Artifact names GitHub refuses (see actions/upload-artifact). */
const INVALID_ARTIFACT_CHARS = ['"', ':', '<', '>', '|', '*', '?', '\r', '\n', '\\', '/'];

function artifactName(name: string): string {
  const bad = INVALID_ARTIFACT_CHARS.find((char) => name.includes(char));
  if (bad !== undefined) {
    throw invalid(
      'artifact-name',
      `got ${quoted(name)}, which contains ${quoted(bad)}; artifact names cannot contain any of " : < > | * ? \\ / or line breaks.`,
    );
  }
  return name;
}

function workflow(value: string): string | undefined {
  if (value === '') return undefined;
  if (/^\d+$/.test(value) || /^[A-Za-z0-9_.-]+\.ya?ml$/.test(value)) return value;
  const file = value.replace(/^\.github\/workflows\//, '');
  if (/^[A-Za-z0-9_.-]+\.ya?ml$/.test(file)) return file;
  throw invalid(
    'workflow',
    `got ${quoted(value)}; it accepts a workflow file name such as backup.yml, or a workflow id.`,
  );
}

function qdrantVersion(value: string): string | undefined {
  if (value === '') return undefined;
  if (/^v?\d+\.\d+\.\d+$/.test(value)) return value.startsWith('v') ? value : `v${value}`;
  throw invalid(
    'qdrant-version',
    `got ${quoted(value)}; it accepts a release version such as ${DEFAULT_QDRANT_VERSION} or 1.18.3.`,
  );
}

/** Parses and validates every input; throws InputError naming the input, the value and what it accepts. */
export function parseInputs(read: InputReader, env: NodeJS.ProcessEnv = process.env): Options {
  const raw = (name: keyof typeof ACTION_DEFAULTS) => read(name) || ACTION_DEFAULTS[name];
  const mode = oneOf(invalid, 'mode', read('mode'), MODES);
  const optionalInteger = (name: keyof typeof ACTION_DEFAULTS, min: number, max: number) =>
    raw(name) === '' ? undefined : integer(invalid, name, raw(name), min, max);
  const options: Options = {
    ...parseSettings(read, mode),
    mode,
    path: path.resolve(raw('path') || path.join(env.RUNNER_TEMP || os.tmpdir(), 'qdrant-snapshots')),
    artifact: bool(invalid, 'artifact', raw('artifact')),
    artifactName: artifactName(raw('artifact-name')),
    // Public repositories keep artifacts up to 90 days, private ones up to 400; @actions/artifact lowers
    // a value above the repository's limit to it, with a warning.
    retentionDays: optionalInteger('retention-days', 1, 400),
    compressionLevel: integer(invalid, 'compression-level', raw('compression-level'), 0, 9),
    runId: optionalInteger('run-id', 1, Number.MAX_SAFE_INTEGER),
    workflow: workflow(raw('workflow')),
    branch: raw('branch') || undefined,
    repository: repository(raw('repository') || env.GITHUB_REPOSITORY || ''),
    githubToken: raw('github-token') || undefined,
    start: oneOf(invalid, 'start', raw('start'), START),
    qdrantVersion: qdrantVersion(raw('qdrant-version')),
    startTimeoutSeconds: integer(invalid, 'start-timeout', raw('start-timeout'), 1, 3600),
    downloadBaseUrl: raw('download-base-url')
      ? httpUrl(invalid, 'download-base-url', raw('download-base-url'))
      : undefined,
    s3: parseS3Settings(read, mode, env),
  };
  if (options.runId !== undefined && options.workflow !== undefined) {
    throw new InputError(
      "Inputs 'run-id' and 'workflow' both name where the backup comes from; give one of them (run-id for a given run, workflow for its latest successful run).",
    );
  }
  if (mode === 'backup' && (options.runId !== undefined || options.workflow !== undefined)) {
    throw new InputError(
      "Inputs 'run-id' and 'workflow' choose a backup to restore; remove them for mode: backup, which always stores into the current run.",
    );
  }
  return options;
}

/** The default of every input but mode, as action.yml states it. */
export const INPUT_DEFAULTS: Record<string, string> = { ...DEFAULTS, ...ACTION_DEFAULTS, ...S3_DEFAULTS };
