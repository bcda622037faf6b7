import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../core/errors.js';
import { DEFAULTS, parseSettings, type Settings, type SharedSetting } from '../core/settings.js';

export const HELP = `qdrant-snapshot: back up, restore and verify Qdrant collections (the core of qdrant-snapshot-action)

Usage:
  qdrant-snapshot backup  [--out DIR] [options]   snapshot collections into DIR/qdrant-snapshots-YYYY-MM-DD-HHMMSS/
  qdrant-snapshot restore DIR [options]           restore a backup folder (or the newest backup under DIR), then verify
  qdrant-snapshot verify  DIR [options]           compare the live server with a backup, changing nothing
  qdrant-snapshot list    [DIR]                   list the backups under DIR and what they hold

Connection:
  --url URL                Qdrant REST URL (env QDRANT_URL, or the seed scripts' QDRANT_HOST; default ${DEFAULTS.url})
  --api-key KEY            API key (env QDRANT_API_KEY)
  --timeout SECONDS        deadline per collection operation (default ${DEFAULTS.timeout})

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
  --encryption-key KEY     encrypt snapshot files with age (env QDRANT_SNAPSHOT_ENCRYPTION_KEY)

Restore / verify:
  --collections, --exclude select collections of the backup
  --rename OLD=NEW,...     restore under other names
  --if-exists fail|skip|overwrite   what to do with collections that exist (default ${DEFAULTS['if-exists']}: nothing is overwritten)
  --verify full|sample|counts  how a restore (and verify) checks the server (default sample): full re-reads
                           every point and compares it with the backup's content fingerprint, sample fetches
                           the backup's sampled points, counts compares counts, vectors config and aliases only
  --no-verify              skip verification after restore
  --no-aliases             do not recreate aliases
  --allow-version-mismatch restore even when the server is more than one minor version away
  --encryption-key KEY     key of an encrypted backup

Other:
  -h, --help               this help

Exit status: 0 success, 1 failure (message on stderr), 2 wrong usage.`;

export const FLAGS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  timeout: { type: 'string' },
  out: { type: 'string' },
  collections: { type: 'string' },
  exclude: { type: 'string' },
  concurrency: { type: 'string' },
  keep: { type: 'string' },
  'keep-server-snapshots': { type: 'boolean' },
  'no-aliases': { type: 'boolean' },
  'encryption-key': { type: 'string' },
  rename: { type: 'string' },
  'if-exists': { type: 'string' },
  verify: { type: 'string' },
  'no-verify': { type: 'boolean' },
  'allow-version-mismatch': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
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
    'encryption-key': flags['encryption-key'] ?? process.env.QDRANT_SNAPSHOT_ENCRYPTION_KEY,
    rename: flags.rename,
    'if-exists': flags['if-exists'],
    verify: flags['no-verify'] ? 'false' : flags.verify,
    'allow-version-mismatch': flags['allow-version-mismatch'] ? 'true' : undefined,
  };
  return parseSettings((id) => raw[id] ?? '', mode);
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
