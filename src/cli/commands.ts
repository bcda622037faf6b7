import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { runBackup } from '../core/backup.js';
import { ActionError, InputError, describeError } from '../core/errors.js';
import { formatBytes, formatRate } from '../util/format.js';
import { parseInputs, type Options } from '../action/inputs.js';
import { readManifest } from '../backup-format/manifest.js';
import { QdrantClient } from '../qdrant/client.js';
import type { Reporter } from '../core/reporter.js';
import { runRestore } from '../core/restore.js';
import { listBackups } from '../backup-format/folder.js';
import { selectNames } from '../core/selection.js';
import { backupReport, reportText, restoreReport } from '../core/report.js';
import { describeFailures, verifyCollections } from '../core/verify.js';

const HELP = `qdrant-snapshot: back up, restore and verify Qdrant collections (the core of qdrant-snapshot-action)

Usage:
  qdrant-snapshot backup  [--out DIR] [options]   snapshot collections into DIR/qdrant-snapshots-YYYY-MM-DD-HHMMSS/
  qdrant-snapshot restore DIR [options]           restore a backup folder (or the newest backup under DIR), then verify
  qdrant-snapshot verify  DIR [options]           compare the live server with a backup, changing nothing
  qdrant-snapshot list    [DIR]                   list the backups under DIR and what they hold

Connection:
  --url URL                Qdrant REST URL (env QDRANT_URL, or the seed scripts' QDRANT_HOST; default http://localhost:6333)
  --api-key KEY            API key (env QDRANT_API_KEY)
  --timeout SECONDS        deadline per collection operation (default 3600)

Backup:
  --out DIR                parent folder of backups (env BACKUP_DIR; default ~/.qdrant-snapshot/backups)
  --collections LIST       names or globs, comma separated (default *)
  --exclude LIST           names or globs to leave out
  --concurrency N          collections at a time (default 2)
  --keep N                 afterwards, remove all but the newest N backup folders under --out
                           (only folders holding a valid manifest are ever removed)
  --keep-server-snapshots  leave the snapshots on the server after downloading them
  --no-aliases             do not record aliases
  --encryption-key KEY     encrypt snapshot files with age (env QDRANT_SNAPSHOT_ENCRYPTION_KEY)

Restore / verify:
  --collections, --exclude select collections of the backup
  --rename OLD=NEW,...     restore under other names
  --if-exists fail|skip|overwrite   what to do with collections that exist (default fail: nothing is overwritten)
  --no-verify              skip verification after restore
  --no-aliases             do not recreate aliases
  --allow-version-mismatch restore even when the server is more than one minor version away
  --encryption-key KEY     key of an encrypted backup

Other:
  -h, --help               this help

Exit status: 0 success, 1 failure (message on stderr), 2 wrong usage.`;

const FLAGS = {
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
  'no-verify': { type: 'boolean' },
  'allow-version-mismatch': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = { [K in keyof typeof FLAGS]?: (typeof FLAGS)[K]['type'] extends 'boolean' ? boolean : string };

function terminalReporter(): Reporter {
  const tty = Boolean(process.stderr.isTTY);
  let barVisible = false;
  const clearBar = () => {
    if (barVisible) process.stderr.write('\r\x1b[K');
    barVisible = false;
  };
  const reporter: Reporter = {
    info: (message) => {
      clearBar();
      console.error(message);
    },
    warning: (message) => {
      clearBar();
      console.error(`warning: ${message}`);
    },
    debug: (message) => {
      if (process.env.QDRANT_SNAPSHOT_DEBUG) console.error(`debug: ${message}`);
    },
    group: (_title, fn) => fn(reporter),
    progress: (collection, verb, done, total, rate) => {
      const percent = total ? Math.floor((done / total) * 100) : undefined;
      if (tty) {
        const width = 24;
        const filled = percent === undefined ? 0 : Math.round((percent / 100) * width);
        const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
        process.stderr.write(
          `\r\x1b[K${collection} ${bar} ${percent ?? '?'}% ${formatBytes(done)} ${verb}, ${formatRate(rate)}`,
        );
        barVisible = true;
        if (total !== undefined && done >= total) clearBar();
      } else {
        console.error(
          `${collection}: ${formatBytes(done)}${total ? ` of ${formatBytes(total)} (${percent}%)` : ''} ${verb}, ${formatRate(rate)}`,
        );
      }
    },
  };
  return reporter;
}

function stamp(date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/** A folder name not taken yet: two backups within one second must not share a folder. */
function freshFolder(root: string, name: string): string {
  let candidate = path.join(root, name);
  for (let n = 2; existsSync(candidate); n++) candidate = path.join(root, `${name}-${n}`);
  return candidate;
}

function defaultUrl(): string {
  const value = process.env.QDRANT_URL || process.env.QDRANT_HOST || 'http://localhost:6333';
  return /^https?:\/\//.test(value) ? value : `http://${value}`;
}

/** The CLI reuses the action's input validation: flags become the inputs of the same name. */
function options(mode: 'backup' | 'restore', flags: Flags, folder: string): Options {
  const values: Record<string, string | undefined> = {
    mode,
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
    verify: flags['no-verify'] ? 'false' : undefined,
    'allow-version-mismatch': flags['allow-version-mismatch'] ? 'true' : undefined,
    path: folder,
    artifact: 'false',
  };
  return parseInputs((name) => values[name] ?? '', {});
}

function backupsRoot(flags: Flags): string {
  return path.resolve(
    flags.out ?? process.env.BACKUP_DIR ?? path.join(os.homedir(), '.qdrant-snapshot', 'backups'),
  );
}

/** A folder holding a manifest, or the newest valid backup under it: no hunting for the latest folder. */
async function resolveBackupFolder(dir: string | undefined, reporter: Reporter): Promise<string> {
  if (!dir) throw new InputError('Give the backup folder: qdrant-snapshot restore DIR (see --help).');
  const listings = await listBackups(path.resolve(dir));
  const own = listings.find((l) => l.folder === path.resolve(dir));
  if (own) return own.folder;
  const newest = listings.find((l) => l.manifest);
  if (!newest) throw new ActionError(`${dir} holds no backup (no manifest.json in it or in its subfolders).`);
  reporter.info(`Using the newest backup under ${dir}: ${newest.folder}`);
  return newest.folder;
}

function client(opts: Options, reporter: Reporter): QdrantClient {
  return new QdrantClient({
    url: opts.url,
    apiKey: opts.apiKey,
    timeoutMs: opts.timeoutSeconds * 1000,
    onRetry: (message) => reporter.warning(message),
  });
}

async function keepNewest(root: string, keep: number, reporter: Reporter): Promise<void> {
  const valid = (await listBackups(root)).filter((l) => l.manifest && l.folder !== root);
  for (const old of valid.slice(keep)) {
    await rm(old.folder, { recursive: true, force: true });
    reporter.info(`Removed old backup ${old.folder} (--keep ${keep}).`);
  }
}

async function commandBackup(flags: Flags, reporter: Reporter): Promise<number> {
  const keep = flags.keep === undefined ? undefined : Number(flags.keep);
  if (keep !== undefined && (!Number.isInteger(keep) || keep < 1)) {
    throw new InputError(
      `--keep got ${JSON.stringify(flags.keep)}; it accepts a whole number of at least 1.`,
    );
  }
  const root = backupsRoot(flags);
  const opts = options('backup', flags, freshFolder(root, `qdrant-snapshots-${stamp()}`));
  const qdrant = client(opts, reporter);
  try {
    const result = await runBackup(qdrant, opts, reporter);
    console.log(reportText(backupReport(result)));
    if (result.failed.length > 0) {
      throw new ActionError(
        `The backup is incomplete: ${result.failed.map((f) => `${f.name}: ${f.error}`).join('; ')}`,
      );
    }
    if (keep !== undefined) await keepNewest(root, keep, reporter);
    return 0;
  } finally {
    await qdrant.close();
  }
}

async function commandRestore(dir: string | undefined, flags: Flags, reporter: Reporter): Promise<number> {
  const folder = await resolveBackupFolder(dir, reporter);
  const opts = options('restore', flags, folder);
  const qdrant = client(opts, reporter);
  try {
    const result = await runRestore(qdrant, opts, reporter);
    console.log(reportText(restoreReport(result, folder)));
    const failed = result.collections.filter((c) => c.outcome === 'failed' || (c.verify && !c.verify.ok));
    if (failed.length > 0) {
      throw new ActionError(
        `Restore failed or did not verify:\n${failed.map((f) => `${f.target}: ${f.error ?? f.verify?.problems.join('; ')}`).join('\n')}`,
      );
    }
    return 0;
  } finally {
    await qdrant.close();
  }
}

async function commandVerify(dir: string | undefined, flags: Flags, reporter: Reporter): Promise<number> {
  const folder = await resolveBackupFolder(dir, reporter);
  const opts = options('restore', flags, folder);
  const manifest = await readManifest(folder);
  const qdrant = client(opts, reporter);
  try {
    const names = selectNames(
      manifest.collections.map((c) => c.name),
      opts.collections,
      opts.exclude,
      'the backup',
    );
    const targets = manifest.collections
      .filter((c) => names.includes(c.name))
      .map((c) => {
        const target = opts.rename.get(c.name) ?? c.name;
        return { expected: c, target, aliases: opts.aliases ? c.aliases : [] };
      });
    const results = await verifyCollections(qdrant, targets, opts.concurrency);
    for (const r of results)
      console.log(
        `${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.ok ? ` (${r.points} points)` : `: ${r.problems.join('; ')}`}`,
      );
    if (results.some((r) => !r.ok))
      throw new ActionError(`The server does not match the backup:\n${describeFailures(results)}`);
    return 0;
  } finally {
    await qdrant.close();
  }
}

async function commandList(dir: string | undefined, flags: Flags): Promise<number> {
  const root = dir ? path.resolve(dir) : backupsRoot(flags);
  const listings = await listBackups(root);
  if (listings.length === 0) {
    console.log(`No backups under ${root}.`);
    return 0;
  }
  for (const listing of listings) {
    if (!listing.manifest) {
      console.log(`${listing.folder}\n  invalid: ${listing.error}`);
      continue;
    }
    const m = listing.manifest;
    const total = m.collections.reduce((sum, c) => sum + c.size, 0);
    console.log(
      `${listing.folder}\n  ${m.created_at}  Qdrant ${m.qdrant_version}  ${m.collections.length} collection(s), ${formatBytes(total)}${m.complete ? '' : '  INCOMPLETE'}${m.encryption ? '  encrypted' : ''}`,
    );
    for (const c of m.collections) {
      console.log(
        `    ${c.name}: ${c.points} points, ${formatBytes(c.size)}${c.aliases.length ? `, aliases ${c.aliases.join(', ')}` : ''}`,
      );
    }
  }
  return 0;
}

export async function cli(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: FLAGS, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`${describeError(error)}\nRun qdrant-snapshot --help for the flags.`);
    return 2;
  }
  const flags = parsed.values as Flags;
  const [command, dir, ...rest] = parsed.positionals;
  if (flags.help || command === undefined || command === 'help') {
    console.log(HELP);
    return command === undefined && !flags.help ? 2 : 0;
  }
  if (rest.length > 0) {
    console.error(`Unexpected argument(s): ${rest.join(' ')}. Run qdrant-snapshot --help.`);
    return 2;
  }
  const reporter = terminalReporter();
  try {
    switch (command) {
      case 'backup':
        if (dir !== undefined) throw new InputError(`backup takes no folder argument; use --out ${dir}.`);
        return await commandBackup(flags, reporter);
      case 'restore':
        return await commandRestore(dir, flags, reporter);
      case 'verify':
        return await commandVerify(dir, flags, reporter);
      case 'list':
        return await commandList(dir, flags);
      default:
        console.error(
          `Unknown command ${JSON.stringify(command)}; use backup, restore, verify or list (see --help).`,
        );
        return 2;
    }
  } catch (error) {
    console.error(`error: ${describeError(error)}`);
    return error instanceof InputError ? 2 : 1;
  }
}
