import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../core/errors.js';
import { splitList } from '../core/list.js';
import { checkCollectionName } from '../core/selection.js';

export const MODES = ['backup', 'restore'] as const;
export const IF_EXISTS = ['fail', 'skip', 'overwrite'] as const;
export const START = ['none', 'docker', 'binary'] as const;
/** The Qdrant release `start` runs when `qdrant-version` is not given. */
export const DEFAULT_QDRANT_VERSION = 'v1.18.3';
/** Chosen from bench/: snapshot files barely compress, level 0 moves them fastest (see README, Performance). */
export const DEFAULT_COMPRESSION_LEVEL = 0;

export type Mode = (typeof MODES)[number];
export type IfExists = (typeof IF_EXISTS)[number];
export type Start = (typeof START)[number];

export interface Repository {
  owner: string;
  repo: string;
}

/** Every input of action.yml, parsed and validated once. */
export interface Options {
  mode: Mode;
  url: string;
  apiKey?: string;
  collections: string[];
  exclude: string[];
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
  ifExists: IfExists;
  rename: Map<string, string>;
  verify: boolean;
  concurrency: number;
  timeoutSeconds: number;
  keepServerSnapshots: boolean;
  aliases: boolean;
  allowVersionMismatch: boolean;
  start: Start;
  qdrantVersion: string;
  startTimeoutSeconds: number;
  downloadBaseUrl?: string;
  encryptionKey?: string;
}

/** Reads one raw input by its action.yml name; '' when not set. */
export type InputReader = (name: string) => string;

/** Reads inputs the way the runner passes them: INPUT_<NAME> with spaces as underscores, upper-cased. */
export function readFromEnv(env: NodeJS.ProcessEnv): InputReader {
  return (name) => (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

function quoted(value: string): string {
  return JSON.stringify(value);
}

function oneOf<T extends string>(name: string, value: string, accepted: readonly T[], fallback?: T): T {
  if (value === '' && fallback !== undefined) return fallback;
  const lower = value.toLowerCase();
  const match = accepted.find((candidate) => candidate === lower);
  if (match) return match;
  const got = value === '' ? 'nothing' : quoted(value);
  throw new InputError(`Input '${name}' got ${got}; it accepts one of: ${accepted.join(', ')}.`);
}

const TRUE = ['true', 'True', 'TRUE', 'yes', 'on', '1'];
const FALSE = ['false', 'False', 'FALSE', 'no', 'off', '0'];

function bool(name: string, value: string, fallback: boolean): boolean {
  if (value === '') return fallback;
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw new InputError(`Input '${name}' got ${quoted(value)}; it accepts true or false.`);
}

function integer(
  name: string,
  value: string,
  min: number,
  max: number,
  fallback?: number,
): number | undefined {
  if (value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InputError(
      `Input '${name}' got ${quoted(value)}; it accepts a whole number from ${min} to ${max}.`,
    );
  }
  return Number(value);
}

function httpUrl(name: string, value: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new InputError(
      `Input '${name}' got ${quoted(value)}, which is not a URL; give the address of the Qdrant REST API, such as http://localhost:6333.`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InputError(
      `Input '${name}' got ${quoted(value)}; it accepts an http:// or https:// URL (the REST port, usually 6333, not gRPC 6334).`,
    );
  }
  if (parsed.username || parsed.password) {
    throw new InputError(
      `Input '${name}' must not carry credentials in the URL; pass the key in 'api-key' instead.`,
    );
  }
  return value.replace(/\/+$/, '');
}

function repository(value: string): Repository | undefined {
  if (value === '') return undefined;
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(value);
  if (!match) {
    throw new InputError(
      `Input 'repository' got ${quoted(value)}; it accepts owner/name, such as octo-org/search.`,
    );
  }
  return { owner: match[1]!, repo: match[2]! };
}

function collectionPatterns(name: string, value: string, fallback: string[]): string[] {
  const items = value === '' ? fallback : splitList(value);
  for (const item of items) checkCollectionName(item, `Input '${name}'`, { allowGlob: true });
  return items;
}

function renames(value: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const item of splitList(value)) {
    const match = /^([^=]+)=([^=]+)$/.exec(item);
    if (!match) {
      throw new InputError(
        `Input 'rename' got ${quoted(item)}; it accepts old=new pairs separated by commas or newlines, such as products=products_ci.`,
      );
    }
    const from = match[1]!.trim();
    const to = match[2]!.trim();
    checkCollectionName(from, `Input 'rename'`);
    checkCollectionName(to, `Input 'rename'`);
    if (pairs.has(from))
      throw new InputError(`Input 'rename' names ${quoted(from)} twice; give each collection one new name.`);
    if ([...pairs.values()].includes(to)) {
      throw new InputError(
        `Input 'rename' maps two collections to ${quoted(to)}; each new name must be unique.`,
      );
    }
    pairs.set(from, to);
  }
  return pairs;
}

/** Artifact names GitHub refuses (see actions/upload-artifact). */
const INVALID_ARTIFACT_CHARS = ['"', ':', '<', '>', '|', '*', '?', '\r', '\n', '\\', '/'];

function artifactName(value: string): string {
  const name = value === '' ? 'qdrant-snapshots' : value;
  const bad = INVALID_ARTIFACT_CHARS.find((char) => name.includes(char));
  if (bad !== undefined) {
    throw new InputError(
      `Input 'artifact-name' got ${quoted(name)}, which contains ${quoted(bad)}; artifact names cannot contain any of " : < > | * ? \\ / or line breaks.`,
    );
  }
  return name;
}

function workflow(value: string): string | undefined {
  if (value === '') return undefined;
  if (/^\d+$/.test(value) || /^[A-Za-z0-9_.-]+\.ya?ml$/.test(value)) return value;
  const file = value.replace(/^\.github\/workflows\//, '');
  if (/^[A-Za-z0-9_.-]+\.ya?ml$/.test(file)) return file;
  throw new InputError(
    `Input 'workflow' got ${quoted(value)}; it accepts a workflow file name such as backup.yml, or a workflow id.`,
  );
}

function qdrantVersion(value: string): string {
  if (value === '') return DEFAULT_QDRANT_VERSION;
  if (/^v?\d+\.\d+\.\d+$/.test(value)) return value.startsWith('v') ? value : `v${value}`;
  throw new InputError(
    `Input 'qdrant-version' got ${quoted(value)}; it accepts a release version such as ${DEFAULT_QDRANT_VERSION} or 1.18.3.`,
  );
}

/** Parses and validates every input; throws InputError naming the input, the value and what it accepts. */
export function parseInputs(read: InputReader, env: NodeJS.ProcessEnv = process.env): Options {
  const mode = oneOf('mode', read('mode'), MODES);
  const runIdValue = integer('run-id', read('run-id'), 1, Number.MAX_SAFE_INTEGER);
  const options: Options = {
    mode,
    url: httpUrl('url', read('url') || 'http://localhost:6333'),
    apiKey: read('api-key') || undefined,
    collections: collectionPatterns('collections', read('collections'), ['*']),
    exclude: collectionPatterns('exclude', read('exclude'), []),
    path: path.resolve(read('path') || path.join(env.RUNNER_TEMP || os.tmpdir(), 'qdrant-snapshots')),
    artifact: bool('artifact', read('artifact'), true),
    artifactName: artifactName(read('artifact-name')),
    retentionDays: integer('retention-days', read('retention-days'), 1, 90),
    compressionLevel: integer(
      'compression-level',
      read('compression-level'),
      0,
      9,
      DEFAULT_COMPRESSION_LEVEL,
    )!,
    runId: runIdValue,
    workflow: workflow(read('workflow')),
    branch: read('branch') || undefined,
    repository: repository(read('repository') || env.GITHUB_REPOSITORY || ''),
    githubToken: read('github-token') || undefined,
    ifExists: oneOf('if-exists', read('if-exists'), IF_EXISTS, 'fail'),
    rename: renames(read('rename')),
    verify: bool('verify', read('verify'), true),
    concurrency: integer('concurrency', read('concurrency'), 1, 32, 2)!,
    timeoutSeconds: integer('timeout', read('timeout'), 1, 7 * 24 * 3600, 3600)!,
    keepServerSnapshots: bool('keep-server-snapshots', read('keep-server-snapshots'), false),
    aliases: bool('aliases', read('aliases'), true),
    allowVersionMismatch: bool('allow-version-mismatch', read('allow-version-mismatch'), false),
    start: oneOf('start', read('start'), START, 'none'),
    qdrantVersion: qdrantVersion(read('qdrant-version')),
    startTimeoutSeconds: integer('start-timeout', read('start-timeout'), 1, 3600, 60)!,
    downloadBaseUrl: read('download-base-url')
      ? httpUrl('download-base-url', read('download-base-url'))
      : undefined,
    encryptionKey: read('encryption-key') || undefined,
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
  if (mode === 'backup' && options.rename.size > 0) {
    throw new InputError("Input 'rename' applies to mode: restore only; remove it from the backup step.");
  }
  if (options.encryptionKey !== undefined && options.encryptionKey.length < 16) {
    throw new InputError(
      "Input 'encryption-key' is shorter than 16 characters; use a long random secret, such as the output of `openssl rand -base64 32` stored as a repository secret.",
    );
  }
  return options;
}
