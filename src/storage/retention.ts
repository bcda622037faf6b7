import { PLAIN_WORDING, render, say, subject, type Message } from '../core/wording.js';
/**
 * Which backups under a prefix retention deletes: a pure decision, so every rule is tested without a store.
 *
 * Rules, in order of precedence (a backup is kept when any keeping rule covers it):
 *  - the backup just written is kept;
 *  - for every collection, the newest complete backup holding it is kept (so no collection ever loses its
 *    last good copy, even when newer backups failed for it);
 *  - a backup whose manifest cannot be read is kept (it may be another version's; we do not judge it), and
 *    so is a folder that is no backup at all (other data under the same prefix);
 *  - an upload without manifest.json is deleted once its newest object is older than `abandonedAfterMs`
 *    (a day by default: an upload running in another job right now is never touched);
 *  - a complete backup is kept while it is among the newest `keep` (when keep > 0) or younger than
 *    `keepDays` days (when keepDays > 0); otherwise deleted. With neither set, all are kept.
 */

export interface RetentionCandidate {
  name: string;
  kind: 'complete' | 'incomplete' | 'unreadable' | 'foreign';
  /** Complete: the manifest's created_at. Otherwise: the newest object's time. */
  time: Date;
  /** Collections the backup holds (complete backups only; empty otherwise). */
  collections: readonly string[];
}

export interface RetentionPolicy {
  /** Newest complete backups to keep; 0 keeps all (as far as this rule goes). */
  keep: number;
  /** Complete backups younger than this many days are kept; 0 turns the rule off. */
  keepDays: number;
  /** The backup this run wrote: never deleted. */
  justWritten: string;
  now: Date;
  /** An upload without manifest.json older than this is abandoned (default one day). */
  abandonedAfterMs?: number;
}

export interface RetentionVerdict {
  name: string;
  kind: RetentionCandidate['kind'];
  /** Why it is deleted or kept, in words for the log. */
  reason: string;
}

export interface RetentionPlan {
  delete: RetentionVerdict[];
  keep: RetentionVerdict[];
}

export const DAY_MS = 24 * 3600 * 1000;

/** Checks the numbers a user gave; the message names the setting. */
export function checkRetentionPolicy(
  policy: Pick<RetentionPolicy, 'keep' | 'keepDays'>,
): Message | undefined {
  if (!Number.isSafeInteger(policy.keep) || policy.keep < 0)
    return say`${subject('keep')} must be a whole number of at least 0 (0 keeps all); got ${String(policy.keep)}.`;
  if (!Number.isFinite(policy.keepDays) || policy.keepDays < 0)
    return say`${subject('keep-days')} must be a number of days of at least 0 (0 turns it off); got ${String(policy.keepDays)}.`;
  return undefined;
}

function newestFirst(a: RetentionCandidate, b: RetentionCandidate): number {
  return b.time.getTime() - a.time.getTime() || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}

export function planRetention(
  candidates: readonly RetentionCandidate[],
  policy: RetentionPolicy,
): RetentionPlan {
  const problem = checkRetentionPolicy(policy);
  if (problem) throw new RangeError(render(problem, PLAIN_WORDING));
  const abandonedAfter = policy.abandonedAfterMs ?? DAY_MS;
  const now = policy.now.getTime();
  const complete = candidates.filter((c) => c.kind === 'complete').sort(newestFirst);

  const newestOf = new Map<string, string>(); // collection -> name of the newest complete backup holding it
  for (const backup of complete) {
    for (const collection of backup.collections) {
      if (!newestOf.has(collection)) newestOf.set(collection, backup.name);
    }
  }
  const rank = new Map(complete.map((backup, index) => [backup.name, index]));

  const plan: RetentionPlan = { delete: [], keep: [] };
  for (const candidate of [...candidates].sort(newestFirst)) {
    const verdict = (reason: string) => ({ name: candidate.name, kind: candidate.kind, reason });
    const age = now - candidate.time.getTime();
    const days = (age / DAY_MS).toFixed(1);
    if (candidate.name === policy.justWritten) {
      plan.keep.push(verdict('the backup just written'));
      continue;
    }
    if (candidate.kind === 'unreadable') {
      plan.keep.push(verdict('its manifest.json cannot be read; left for you to inspect'));
      continue;
    }
    if (candidate.kind === 'foreign') {
      plan.keep.push(verdict('not a backup (no manifest.json, not snapshot files); never touched'));
      continue;
    }
    if (candidate.kind === 'incomplete') {
      if (age > abandonedAfter)
        plan.delete.push(verdict(`an abandoned upload (no manifest.json, last written ${days} days ago)`));
      else
        plan.keep.push(
          verdict('an upload without manifest.json from the last day (it may still be running)'),
        );
      continue;
    }
    const lastCopyOf = candidate.collections.filter(
      (collection) => newestOf.get(collection) === candidate.name,
    );
    if (lastCopyOf.length > 0) {
      plan.keep.push(verdict(`the newest complete backup of ${lastCopyOf.join(', ')}`));
      continue;
    }
    const index = rank.get(candidate.name)!;
    if (policy.keep > 0 && index < policy.keep) {
      plan.keep.push(verdict(`one of the ${policy.keep} newest (keep)`));
      continue;
    }
    if (policy.keepDays > 0 && age < policy.keepDays * DAY_MS) {
      plan.keep.push(verdict(`younger than ${policy.keepDays} days (keep-days)`));
      continue;
    }
    if (policy.keep === 0 && policy.keepDays === 0) {
      plan.keep.push(verdict('no retention set (keep 0, keep-days 0)'));
      continue;
    }
    const why = [
      policy.keep > 0 ? `beyond the ${policy.keep} newest (keep)` : undefined,
      policy.keepDays > 0 ? `older than ${policy.keepDays} days (keep-days; ${days} days old)` : undefined,
    ].filter(Boolean);
    plan.delete.push(verdict(why.join(' and ')));
  }
  return plan;
}
