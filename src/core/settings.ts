import { InputError } from './errors.js';
import { collectionNameProblem } from '../qdrant/names.js';
import { say, setting, subject, type Message, type S3SettingId, type SettingId } from './wording.js';
import { DEFAULT_VERIFY_LEVEL, VERIFY_LEVELS, type VerifyLevel } from './verify-content.js';

export const IF_EXISTS = ['fail', 'skip', 'overwrite'] as const;
/** What a backup records of each collection's content (see core/fingerprint/model.ts). */
export const FINGERPRINTS = ['sample', 'full'] as const;
export type IfExists = (typeof IF_EXISTS)[number];

/** The settings the action and the CLI share, parsed and validated once by `parseSettings`. */
export interface Settings {
  url: string;
  apiKey?: string;
  collections: string[];
  exclude: string[];
  concurrency: number;
  timeoutSeconds: number;
  keepServerSnapshots: boolean;
  aliases: boolean;
  encryptionKey?: string;
  /** age public keys (age1...) a backup is encrypted to. */
  encryptionRecipients: string[];
  /** age identities (AGE-SECRET-KEY-1...) that open a backup encrypted to recipients. */
  encryptionIdentity: string[];
  rename: Map<string, string>;
  ifExists: IfExists;
  /** The restore's verification level, or false for none. */
  verify: VerifyLevel | false;
  /** The backup's content fingerprint: every point read before and after the snapshot, or a sample. */
  fingerprint: (typeof FINGERPRINTS)[number];
  allowVersionMismatch: boolean;
  /** REST URLs of every node of a cluster; empty: derived from the peers' URIs (GET /cluster). */
  nodes: string[];
}

export type SharedSetting = Exclude<SettingId, 'path' | S3SettingId>;

/** The defaults, as the raw text action.yml and README state them (a test holds the three together). */
export const DEFAULTS: Record<SharedSetting, string> = {
  url: 'http://localhost:6333',
  'api-key': '',
  collections: '*',
  exclude: '',
  concurrency: '2',
  timeout: '3600',
  'keep-server-snapshots': 'false',
  aliases: 'true',
  'encryption-key': '',
  'encryption-recipients': '',
  'encryption-identity': '',
  rename: '',
  'if-exists': 'fail',
  verify: 'true',
  fingerprint: 'sample',
  'allow-version-mismatch': 'false',
  nodes: '',
};

/** Reads one raw setting by its id; '' when not given. */
export type SettingReader<Id extends string = SettingId> = (id: Id) => string;

export function quoted(value: string): string {
  return JSON.stringify(value);
}

/** Splits a list value: items separated by commas or newlines, trimmed, empties dropped. */
export function splitList(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

const TRUE = ['true', 'True', 'TRUE', 'yes', 'on', '1'];
const FALSE = ['false', 'False', 'FALSE', 'no', 'off', '0'];

/**
 * The value parsers both adapters use. `invalid` words the error: the action's names its inputs in plain
 * strings, the shared settings go through `settingInvalid` so each adapter names them its own way.
 */
export type Invalid = (name: string, text: string | Message) => InputError;

export const settingInvalid: Invalid = (id, text) => new InputError(say`${subject(id as SettingId)} ${text}`);

export function oneOf<T extends string>(
  invalid: Invalid,
  name: string,
  value: string,
  accepted: readonly T[],
): T {
  const match = accepted.find((candidate) => candidate === value.toLowerCase());
  if (match) return match;
  const got = value === '' ? 'nothing' : quoted(value);
  throw invalid(name, `got ${got}; it accepts one of: ${accepted.join(', ')}.`);
}

export function bool(invalid: Invalid, name: string, value: string): boolean {
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw invalid(name, `got ${quoted(value)}; it accepts true or false.`);
}

export function integer(invalid: Invalid, name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw invalid(name, `got ${quoted(value)}; it accepts a whole number from ${min} to ${max}.`);
  }
  return Number(value);
}

export function httpUrl(invalid: Invalid, name: string, value: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw invalid(
      name,
      `got ${quoted(value)}, which is not a URL; give the address of the Qdrant REST API, such as http://localhost:6333.`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalid(
      name,
      `got ${quoted(value)}; it accepts an http:// or https:// URL (the REST port, usually 6333, not gRPC 6334).`,
    );
  }
  if (parsed.username || parsed.password) {
    throw invalid(
      name,
      say`must not carry credentials in the URL; pass the key in ${setting('api-key')} instead.`,
    );
  }
  return value.replace(/\/+$/, '');
}

/** The collection-name rule applied to a setting's value (globs allowed where patterns are). */
export function checkCollectionName(name: string, id: SettingId, { allowGlob = false } = {}): void {
  const problem = collectionNameProblem(name, { allowGlob });
  if (problem) {
    throw new InputError(
      say`${subject(id)}: collection name ${quoted(name)} ${problem}; use the plain collection name as Qdrant lists it.`,
    );
  }
}

function collectionPatterns(id: 'collections' | 'exclude', value: string): string[] {
  const items = splitList(value);
  for (const item of items) checkCollectionName(item, id, { allowGlob: true });
  return items;
}

function renames(value: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const item of splitList(value)) {
    const match = /^([^=]+)=([^=]+)$/.exec(item);
    if (!match) {
      throw settingInvalid(
        'rename',
        `got ${quoted(item)}; it accepts old=new pairs separated by commas or newlines, such as products=products_ci.`,
      );
    }
    const from = match[1]!.trim();
    const to = match[2]!.trim();
    checkCollectionName(from, 'rename');
    checkCollectionName(to, 'rename');
    if (pairs.has(from))
      throw settingInvalid('rename', `names ${quoted(from)} twice; give each collection one new name.`);
    if ([...pairs.values()].includes(to)) {
      throw settingInvalid('rename', `maps two collections to ${quoted(to)}; each new name must be unique.`);
    }
    pairs.set(from, to);
  }
  return pairs;
}

function recipients(value: string): string[] {
  const items = splitList(value);
  for (const item of items) {
    if (!/^age1[0-9a-z]+$/.test(item)) {
      throw settingInvalid(
        'encryption-recipients',
        `got ${quoted(item)}, which is not an age public key; it accepts keys such as age-keygen prints (age1...), separated by commas or newlines.`,
      );
    }
  }
  return items;
}

/** Identities as an age key file holds them: one per line, '#' comments; commas separate them too. */
function identities(value: string): string[] {
  const items = value
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .flatMap((line) => splitList(line));
  // Never echo the value: it is a secret, however mistyped.
  if (items.some((item) => !/^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/.test(item))) {
    throw settingInvalid(
      'encryption-identity',
      'holds something that is not an age identity; it accepts the secret keys age-keygen writes (AGE-SECRET-KEY-1...), one per line.',
    );
  }
  return items;
}

/** verify: true (the default level), false (none), or a level. */
function verifyLevel(value: string): VerifyLevel | false {
  if (TRUE.includes(value)) return DEFAULT_VERIFY_LEVEL;
  if (FALSE.includes(value)) return false;
  const level = VERIFY_LEVELS.find((candidate) => candidate === value.toLowerCase());
  if (level) return level;
  throw settingInvalid(
    'verify',
    `got ${quoted(value)}; it accepts true or false (true verifies at ${DEFAULT_VERIFY_LEVEL}), or a level: ${VERIFY_LEVELS.join(', ')}.`,
  );
}

/**
 * Parses and validates the shared settings, empty ones taking their DEFAULTS; throws InputError naming the
 * setting, the value and what it accepts.
 */
export function parseSettings(read: SettingReader<SharedSetting>, mode: 'backup' | 'restore'): Settings {
  const raw = (id: SharedSetting) => read(id) || DEFAULTS[id];
  const v = settingInvalid;
  const settings: Settings = {
    url: httpUrl(v, 'url', raw('url')),
    apiKey: raw('api-key') || undefined,
    collections: collectionPatterns('collections', raw('collections')),
    exclude: collectionPatterns('exclude', raw('exclude')),
    concurrency: integer(v, 'concurrency', raw('concurrency'), 1, 32),
    timeoutSeconds: integer(v, 'timeout', raw('timeout'), 1, 7 * 24 * 3600),
    keepServerSnapshots: bool(v, 'keep-server-snapshots', raw('keep-server-snapshots')),
    aliases: bool(v, 'aliases', raw('aliases')),
    encryptionKey: raw('encryption-key') || undefined,
    encryptionRecipients: recipients(raw('encryption-recipients')),
    encryptionIdentity: identities(raw('encryption-identity')),
    rename: renames(raw('rename')),
    ifExists: oneOf(v, 'if-exists', raw('if-exists'), IF_EXISTS),
    verify: verifyLevel(raw('verify')),
    fingerprint: oneOf(v, 'fingerprint', raw('fingerprint'), FINGERPRINTS),
    allowVersionMismatch: bool(v, 'allow-version-mismatch', raw('allow-version-mismatch')),
    nodes: splitList(raw('nodes')).map((url) => httpUrl(v, 'nodes', url)),
  };
  if (mode === 'backup' && settings.rename.size > 0) {
    throw new InputError(say`${subject('rename')} applies to a restore only; remove it from the backup.`);
  }
  if (mode === 'backup' && settings.encryptionKey !== undefined && settings.encryptionRecipients.length > 0) {
    throw new InputError(
      say`${subject('encryption-key')} and ${setting('encryption-recipients')} both encrypt the backup; give one of them (recipients: only the holder of the matching identity can restore).`,
    );
  }
  if (settings.encryptionKey !== undefined && settings.encryptionKey.length < 16) {
    throw new InputError(
      say`${subject('encryption-key')} is shorter than 16 characters; use a long random secret, such as the output of \`openssl rand -base64 32\`, and keep it secret.`,
    );
  }
  return settings;
}
