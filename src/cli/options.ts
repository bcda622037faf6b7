import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../core/errors.js';
import { DEFAULTS, parseSettings, type Settings, type SharedSetting } from '../core/settings.js';
import type { S3SettingId } from '../core/wording.js';
import { parseS3Settings, type S3Options } from '../storage/s3-settings.js';

export const HELP = `qdrant-snapshot: back up, restore and verify Qdrant collections (the core of qdrant-snapshot-action)

Usage:
  qdrant-snapshot backup  [--out DIR] [options]   snapshot collections into DIR/qdrant-snapshots-YYYY-MM-DD-HHMMSS/
  qdrant-snapshot restore DIR [options]           restore a backup folder (or the newest backup under DIR), then verify
  qdrant-snapshot verify  DIR [options]           compare the live server with a backup, changing nothing
  qdrant-snapshot list    [DIR]                   list the backups under DIR and what they hold
  qdrant-snapshot list    s3://BUCKET/PREFIX      list the backups under an S3 prefix

Connection:
  --url URL                Qdrant REST URL (env QDRANT_URL, or the seed scripts' QDRANT_HOST; default ${DEFAULTS.url})
  --api-key KEY            API key (env QDRANT_API_KEY)
  --timeout SECONDS        deadline per collection operation (default ${DEFAULTS.timeout})
  --nodes URLS             a cluster's node REST URLs, comma separated (env QDRANT_NODES; default: derived
                           from the peers' addresses in GET /cluster, with the scheme and port of --url)

Backup:
  --out DIR                parent folder of backups (env BACKUP_DIR; default ~/.qdrant-snapshot/backups)
  --collections LIST       names or globs, comma separated (default ${DEFAULTS.collections})
  --exclude LIST           names or globs to leave out
  --concurrency N          collections at a time (default ${DEFAULTS.concurrency})
  --keep N                 afterwards, keep the newest N backups of each collection under --out and
                           remove the other backup folders (a collection's newest backup is never
                           removed; only folders holding a valid manifest are ever removed)
  --keep-server-snapshots  leave the snapshots on the server after downloading them
  --no-aliases             do not record aliases
  --fingerprint sample|full  what is recorded to verify a restore (default ${DEFAULTS.fingerprint}): sample, the
                           count and 256 points drawn at random; full, every point (restore --verify full
                           needs it; reads the collection twice)
  --encryption-key KEY     encrypt the backup with a passphrase (age; env QDRANT_SNAPSHOT_ENCRYPTION_KEY)
  --encryption-recipients LIST
                           encrypt to age public keys (age1..., comma separated; env
                           QDRANT_SNAPSHOT_ENCRYPTION_RECIPIENTS): only their identities restore it
  --to s3://BUCKET/PREFIX  also store the backup in an S3-compatible bucket, under PREFIX/<backup name>/
                           (credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN);
                           --keep N then also keeps the newest N complete backups under the prefix
  --keep-days N            with --to: also keep complete backups younger than N days

Restore / verify:
  --from s3://BUCKET/PREFIX  restore from a bucket instead of DIR: the newest complete backup under the
                           prefix (or one backup folder), downloaded and checked before Qdrant is touched
  --collections, --exclude select collections of the backup
  --rename OLD=NEW,...     restore under other names
  --if-exists fail|skip|overwrite   what to do with collections that exist (default ${DEFAULTS['if-exists']}: nothing is overwritten)
  --verify full|sample|counts  how a restore (and verify) checks the server (default sample): full re-reads
                           every point and compares it with the backup's content fingerprint, sample fetches
                           the backup's sampled points, counts compares counts, vectors config and aliases only
  --no-verify              skip verification after restore
  --no-aliases             do not recreate aliases
  --allow-version-mismatch restore even when the server is more than one minor version away
  --encryption-key KEY     passphrase of an encrypted backup
  --encryption-identity KEY|FILE
                           age identity (AGE-SECRET-KEY-1...) or a file holding it, for a backup encrypted
                           to recipients (env QDRANT_SNAPSHOT_ENCRYPTION_IDENTITY)

S3 (with --to, --from, list s3://...):
  --s3-endpoint URL        a store other than AWS S3 (R2, B2, MinIO, Ceph...); path-style addressing
  --s3-region REGION       the bucket's region (default AWS_REGION, else us-east-1)

Other:
  -h, --help               this help
  -V, --version            print the version

Exit status: 0 success, 1 failure (message on stderr), 2 wrong usage.`;

export const FLAGS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  timeout: { type: 'string' },
  nodes: { type: 'string' },
  out: { type: 'string' },
  collections: { type: 'string' },
  exclude: { type: 'string' },
  concurrency: { type: 'string' },
  keep: { type: 'string' },
  'keep-server-snapshots': { type: 'boolean' },
  'no-aliases': { type: 'boolean' },
  fingerprint: { type: 'string' },
  'encryption-key': { type: 'string' },
  'encryption-recipients': { type: 'string' },
  'encryption-identity': { type: 'string' },
  rename: { type: 'string' },
  'if-exists': { type: 'string' },
  verify: { type: 'string' },
  'no-verify': { type: 'boolean' },
  'allow-version-mismatch': { type: 'boolean' },
  to: { type: 'string' },
  from: { type: 'string' },
  's3-endpoint': { type: 'string' },
  's3-region': { type: 'string' },
  'keep-days': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

export type Flags = {
  [K in keyof typeof FLAGS]?: (typeof FLAGS)[K]['type'] extends 'boolean' ? boolean : string;
};

function defaultUrl(): string {
  const value = process.env.QDRANT_URL || process.env.QDRANT_HOST || DEFAULTS.url;
  return /^https?:\/\//.test(value) ? value : `http://${value}`;
}

/** The shared settings from flags (and the environment variables the seed scripts used). */
export function settingsFromFlags(mode: 'backup' | 'restore', flags: Flags): Settings {
  const raw: Partial<Record<SharedSetting, string>> = {
    url: flags.url ?? defaultUrl(),
    'api-key': flags['api-key'] ?? process.env.QDRANT_API_KEY,
    timeout: flags.timeout,
    collections: flags.collections,
    exclude: flags.exclude,
    concurrency: flags.concurrency,
    'keep-server-snapshots': flags['keep-server-snapshots'] ? 'true' : undefined,
    aliases: flags['no-aliases'] ? 'false' : undefined,
    fingerprint: flags.fingerprint,
    'encryption-key': flags['encryption-key'] ?? process.env.QDRANT_SNAPSHOT_ENCRYPTION_KEY,
    'encryption-recipients':
      flags['encryption-recipients'] ?? process.env.QDRANT_SNAPSHOT_ENCRYPTION_RECIPIENTS,
    'encryption-identity': identityValue(
      flags['encryption-identity'] ?? process.env.QDRANT_SNAPSHOT_ENCRYPTION_IDENTITY,
    ),
    rename: flags.rename,
    'if-exists': flags['if-exists'],
    verify: flags['no-verify'] ? 'false' : flags.verify,
    'allow-version-mismatch': flags['allow-version-mismatch'] ? 'true' : undefined,
    nodes: flags.nodes ?? process.env.QDRANT_NODES,
  };
  return parseSettings((id) => raw[id] ?? '', mode);
}

/**
 * --encryption-identity takes the key itself or, as age -i does, a file holding it: a key typed on the
 * command line stays in the shell's history.
 */
function identityValue(value: string | undefined): string | undefined {
  if (value === undefined || value.includes('AGE-SECRET-KEY-')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (error) {
    // The value is not echoed: it may be a mistyped key.
    throw new InputError(
      `--encryption-identity is neither an age identity (AGE-SECRET-KEY-1...) nor a file that can be read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}); give the key or the path of the file age-keygen wrote.`,
    );
  }
}

/** The S3 settings from --to / --from (or the list command's s3:// argument), --s3-endpoint, --s3-region, --keep, --keep-days. */
export function s3FromFlags(mode: 'backup' | 'restore', flags: Flags, url: string | undefined): S3Options {
  const raw: Partial<Record<S3SettingId, string>> = {
    's3-url': url,
    's3-endpoint': flags['s3-endpoint'],
    's3-region': flags['s3-region'],
    // --keep also prunes the local folders; in the bucket it applies with --to only.
    keep: mode === 'backup' && url !== undefined ? flags.keep : undefined,
    'keep-days': flags['keep-days'],
  };
  return parseS3Settings((id) => raw[id] ?? '', mode);
}

/** --keep N: a whole number of at least 1, or undefined. */
export function keepFlag(flags: Flags): number | undefined {
  if (flags.keep === undefined) return undefined;
  const keep = Number(flags.keep);
  if (!Number.isInteger(keep) || keep < 1) {
    throw new InputError(
      `--keep got ${JSON.stringify(flags.keep)}; it accepts a whole number of at least 1.`,
    );
  }
  return keep;
}

/** The parent folder of backups: --out, BACKUP_DIR, or ~/.qdrant-snapshot/backups. */
export function backupsRoot(flags: Flags): string {
  return path.resolve(
    flags.out ?? process.env.BACKUP_DIR ?? path.join(os.homedir(), '.qdrant-snapshot', 'backups'),
  );
}
