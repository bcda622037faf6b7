import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { listBackups, newBackupFolder, pruneBackups, resolveBackupFolder } from '../backup-format/folder.js';
import { readManifest, storedBytes } from '../backup-format/manifest.js';
import { runBackup } from '../core/backup.js';
import { discoverNodes } from '../core/cluster-connect.js';
import { connect } from '../core/connect.js';
import { ActionError, InputError, describeError } from '../core/errors.js';
import { backupFailure, restoreFailure } from '../core/outcome.js';
import { backupReport, restoreReport } from '../core/report.js';
import type { Reporter } from '../core/reporter.js';
import { runRestore } from '../core/restore.js';
import { selectTargets } from '../core/selection.js';
import { CancelledError, cancelOnSignals, exitCodeOf } from '../core/cancel.js';
import { describeFailures, verifyCollections } from '../core/verify.js';
import { checkVerifyLevel } from '../core/verify-content.js';
import { formatBytes } from '../util/format.js';
import { FLAGS, HELP, backupsRoot, keepFlag, s3FromFlags, settingsFromFlags, type Flags } from './options.js';
import { fetchS3Backup, listS3, storeInS3 } from './s3.js';
import { reportText } from './report.js';
import { terminalReporter } from './reporter.js';
import { didYouMean } from './suggest.js';
import { VERSION } from './version.js';
import { cliWording } from './wording.js';

/** A folder holding a manifest, or the newest valid backup under it: no hunting for the latest folder. */
async function backupFolder(dir: string | undefined, command: string, reporter: Reporter): Promise<string> {
  if (!dir) throw new InputError(`Give the backup folder: qdrant-snapshot ${command} DIR (see --help).`);
  const { folder, newest } = await resolveBackupFolder(dir);
  if (newest) reporter.info(`Using the newest backup under ${dir}: ${folder}`);
  return folder;
}

async function commandBackup(flags: Flags, reporter: Reporter): Promise<void> {
  if (flags.from !== undefined)
    throw new InputError('--from belongs to restore; a backup goes --to s3://BUCKET/PREFIX.');
  const keep = keepFlag(flags);
  const settings = settingsFromFlags('backup', flags);
  const s3 = s3FromFlags('backup', flags, flags.to);
  const root = backupsRoot(flags);
  const qdrant = connect(settings, reporter);
  const cancellation = cancelOnSignals((name) =>
    reporter.warning(`${name} received: stopping, deleting the server snapshots this run created.`),
  );
  try {
    const result = await runBackup(
      qdrant,
      { ...settings, path: newBackupFolder(root), signal: cancellation.signal },
      reporter,
    );
    const stored = await storeInS3(s3, result, reporter);
    console.log(reportText(backupReport(result, stored)));
    const failure = backupFailure(result, stored.length > 0 ? 'stored in S3' : undefined);
    if (failure) throw failure;
  } catch (error) {
    const received = cancellation.received();
    if (received && !(error instanceof CancelledError)) {
      throw new CancelledError(`Cancelled by ${received}: ${describeError(error)}`, exitCodeOf(received));
    }
    if (error instanceof CancelledError) throw new CancelledError(error.message, exitCodeOf(received));
    throw error;
  } finally {
    cancellation.dispose();
    await qdrant.close();
  }
  if (keep === undefined) return;
  for (const removed of await pruneBackups(root, keep)) {
    reporter.info(`Removed old backup ${removed} (--keep ${keep}).`);
  }
}

async function commandRestore(dir: string | undefined, flags: Flags, reporter: Reporter): Promise<void> {
  if (flags.to !== undefined)
    throw new InputError('--to belongs to backup; a restore reads --from s3://BUCKET/PREFIX.');
  if (flags.from !== undefined && dir !== undefined) {
    throw new InputError(`Give the backup folder or --from, not both (got ${dir} and --from ${flags.from}).`);
  }
  const settings = settingsFromFlags('restore', flags);
  const s3 = s3FromFlags('restore', flags, flags.from);
  // From a bucket: downloaded and checked into a temporary folder first, removed afterwards.
  const fetched = await fetchS3Backup(s3, reporter);
  try {
    const folder = fetched?.folder ?? (await backupFolder(dir, 'restore', reporter));
    const qdrant = connect(settings, reporter);
    const cancellation = cancelOnSignals((name) =>
      reporter.warning(`${name} received: stopping the restore.`),
    );
    try {
      const result = await runRestore(
        qdrant,
        { ...settings, path: folder, signal: cancellation.signal },
        reporter,
      );
      console.log(reportText(restoreReport(result, fetched?.uri ?? folder)));
      const failure = restoreFailure(result);
      if (failure) throw failure;
    } catch (error) {
      const received = cancellation.received();
      if (received)
        throw new CancelledError(`Cancelled by ${received}: ${describeError(error)}`, exitCodeOf(received));
      throw error;
    } finally {
      cancellation.dispose();
      await qdrant.close();
    }
  } finally {
    await fetched?.remove();
  }
}

async function commandVerify(dir: string | undefined, flags: Flags, reporter: Reporter): Promise<void> {
  const folder = await backupFolder(dir, 'verify', reporter);
  const settings = settingsFromFlags('restore', flags);
  const targets = selectTargets((await readManifest(folder)).collections, settings);
  checkVerifyLevel(
    targets.map((t) => t.entry),
    settings.verify,
  );
  const qdrant = connect(settings, reporter);
  try {
    const cluster = await discoverNodes(qdrant, settings, reporter);
    const level = settings.verify === false ? 'counts' : settings.verify;
    const results = await verifyCollections(qdrant, targets, settings.concurrency, reporter, {
      cluster,
      level,
    }).finally(() => cluster.close());
    for (const r of results) {
      console.log(
        `${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.ok ? ` (${r.points} points)` : `: ${r.problems.join('; ')}`}`,
      );
    }
    if (results.some((r) => !r.ok)) {
      throw new ActionError(`The server does not match the backup:\n${describeFailures(results)}`);
    }
  } finally {
    await qdrant.close();
  }
}

async function commandList(dir: string | undefined, flags: Flags): Promise<void> {
  if (dir?.startsWith('s3://')) {
    for (const line of await listS3(s3FromFlags('restore', flags, dir))) console.log(line);
    return;
  }
  const root = dir ? path.resolve(dir) : backupsRoot(flags);
  // A fresh machine has no backup folder yet: that is "no backups", not an error.
  const exists = await stat(root).then(
    () => true,
    (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? false : Promise.reject(error)),
  );
  const listings = exists ? await listBackups(root) : [];
  if (listings.length === 0) {
    console.log(`No backups under ${root}${exists ? '' : ' (the folder does not exist yet)'}.`);
    return;
  }
  for (const listing of listings) {
    if (!listing.manifest) {
      console.log(`${listing.folder}\n  invalid: ${listing.error}`);
      continue;
    }
    const m = listing.manifest;
    const total = m.collections.reduce((sum, c) => sum + storedBytes(c), 0);
    console.log(
      `${listing.folder}\n  ${m.created_at}  Qdrant ${m.qdrant_version}  ${m.collections.length} collection(s), ${formatBytes(total)}${m.complete ? '' : '  INCOMPLETE'}${m.encryption ? '  encrypted' : ''}`,
    );
    for (const c of m.collections) {
      console.log(
        `    ${c.name}: ${c.points} points, ${formatBytes(storedBytes(c))}${c.level === 'shard' ? ` in ${c.files.length} shards` : ''}${c.aliases.length ? `, aliases ${c.aliases.join(', ')}` : ''}`,
      );
    }
  }
}

const COMMANDS = ['backup', 'restore', 'verify', 'list', 'help'];

/** The parser's complaint in our words, with the flag the user probably meant. */
function usageError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const unknown = /Unknown option '([^']+)'/.exec(describeError(error))?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const flags = Object.keys(FLAGS).map((name) => `--${name}`);
    const typed = unknown.startsWith('--') ? unknown.split('=')[0]! : unknown;
    return `Unknown flag ${typed}.${didYouMean(typed, flags)} Run qdrant-snapshot --help for the flags.`;
  }
  return `${describeError(error)}\nRun qdrant-snapshot --help for the flags.`;
}

/** Runs the CLI; returns the exit status (0 success, 1 failure, 2 wrong usage). */
export async function cli(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: FLAGS, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(usageError(error));
    return 2;
  }
  const flags = parsed.values as Flags;
  const [command, dir, ...rest] = parsed.positionals;
  if (flags.version) {
    console.log(VERSION);
    return 0;
  }
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
        await commandBackup(flags, reporter);
        return 0;
      case 'restore':
        await commandRestore(dir, flags, reporter);
        return 0;
      case 'verify':
        await commandVerify(dir, flags, reporter);
        return 0;
      case 'list':
        await commandList(dir, flags);
        return 0;
      default:
        console.error(
          `Unknown command ${JSON.stringify(command)}; use backup, restore, verify or list (see --help).${didYouMean(command, COMMANDS)}`,
        );
        return 2;
    }
  } catch (error) {
    console.error(`error: ${describeError(error, cliWording(command))}`);
    if (error instanceof CancelledError) return error.exitCode;
    return error instanceof InputError ? 2 : 1;
  }
}
