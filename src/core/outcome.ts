import type { BackupResult } from './backup.js';
import { ActionError, VerificationError } from './errors.js';
import type { RestoreResult } from './restore.js';
import { describeFailures } from './verify.js';

/**
 * The error that fails a backup in which some collections failed, or undefined when all were saved.
 * `stored` says where the others went besides the folder ("uploaded").
 */
export function backupFailure(result: BackupResult, stored?: string): ActionError | undefined {
  if (result.failed.length === 0) return undefined;
  return new ActionError(
    `The backup is incomplete: ${result.failed.map((f) => `${f.name}: ${f.error}`).join('; ')}. The other ${result.collections.length} collection(s) were saved${stored ? ` and ${stored}` : ''} with "complete": false.`,
  );
}

/** The error that fails a restore in which a collection failed or did not verify, or undefined. */
export function restoreFailure(result: RestoreResult): ActionError | undefined {
  const failed = result.collections.filter((c) => c.outcome === 'failed');
  if (failed.length > 0) {
    return new ActionError(`Restore failed for ${failed.map((f) => `${f.target}: ${f.error}`).join('; ')}`);
  }
  const mismatches = result.collections.flatMap((c) => (c.verify && !c.verify.ok ? [c.verify] : []));
  if (mismatches.length > 0) {
    return new VerificationError(
      `Verification failed; the restored collections do not match the backup (they are kept for inspection):\n${describeFailures(mismatches)}`,
    );
  }
  return undefined;
}
