// The retention decision as a pure function: named cases, then properties over random histories.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  planRetention,
  type RetentionCandidate,
  type RetentionPolicy,
} from '../../src/storage/retention.js';

const NOW = new Date('2026-06-30T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);

function complete(name: string, age: number, collections = ['a', 'b']): RetentionCandidate {
  return { name, kind: 'complete', time: daysAgo(age), collections };
}

/** Daily backups, newest first: day-0 (just written) ... day-(n-1). */
function daily(n: number, collections = ['a', 'b']): RetentionCandidate[] {
  return Array.from({ length: n }, (_, i) => complete(`day-${i}`, i, collections));
}

function plan(candidates: RetentionCandidate[], policy: Partial<RetentionPolicy>) {
  const result = planRetention(candidates, {
    keep: 0,
    keepDays: 0,
    justWritten: 'day-0',
    now: NOW,
    ...policy,
  });
  return { deleted: result.delete.map((v) => v.name), kept: result.keep.map((v) => v.name), result };
}

describe('planRetention', () => {
  it('keep 2 of three daily backups deletes the oldest', () => {
    expect(plan(daily(3), { keep: 2 }).deleted).toEqual(['day-2']);
  });

  it('keep 0 and keep-days 0 keep everything', () => {
    const { deleted, result } = plan(daily(10), {});
    expect(deleted).toEqual([]);
    expect(result.keep.at(-1)!.reason).toMatch(/no retention set/);
  });

  it('keep-days alone deletes complete backups older than that', () => {
    expect(plan(daily(10), { keepDays: 7 }).deleted).toEqual(['day-7', 'day-8', 'day-9']);
  });

  it('keep and keep-days together keep what either covers (the union, as restic does)', () => {
    expect(plan(daily(10), { keep: 3, keepDays: 5 }).deleted).toEqual([
      'day-5',
      'day-6',
      'day-7',
      'day-8',
      'day-9',
    ]);
    expect(plan(daily(10), { keep: 8, keepDays: 2 }).deleted).toEqual(['day-8', 'day-9']);
  });

  it('never deletes the backup just written, even when it looks oldest (a clock gone wrong)', () => {
    const candidates = [complete('new', 400), complete('x', 1), complete('y', 2)];
    const { deleted, result } = plan(candidates, { keep: 1, justWritten: 'new' });
    expect(deleted).not.toContain('new');
    expect(result.keep.find((v) => v.name === 'new')!.reason).toBe('the backup just written');
  });

  it('keeps the newest complete backup of every collection, even beyond keep', () => {
    // "legacy" was dropped from the backups three days ago: its last copy is day-3.
    const candidates = [
      complete('day-0', 0, ['a']),
      complete('day-1', 1, ['a']),
      complete('day-2', 2, ['a']),
      complete('day-3', 3, ['a', 'legacy']),
      complete('day-4', 4, ['a', 'legacy']),
    ];
    const { deleted, result } = plan(candidates, { keep: 1 });
    expect(deleted).toEqual(['day-1', 'day-2', 'day-4']);
    expect(result.keep.find((v) => v.name === 'day-3')!.reason).toBe('the newest complete backup of legacy');
  });

  it('keeps the newest backup holding a collection that failed in the newer ones', () => {
    // day-0 and day-1 backed up only "a" ("b" failed); day-2 is the last copy of "b".
    const candidates = [
      complete('day-0', 0, ['a']),
      complete('day-1', 1, ['a']),
      complete('day-2', 2, ['a', 'b']),
    ];
    expect(plan(candidates, { keep: 1 }).deleted).toEqual(['day-1']);
  });

  it('removes uploads without manifest.json only once they are more than a day old', () => {
    const candidates: RetentionCandidate[] = [
      ...daily(2),
      { name: 'fresh', kind: 'incomplete', time: new Date(NOW.getTime() - 3600_000), collections: [] },
      { name: 'stale', kind: 'incomplete', time: daysAgo(1.5), collections: [] },
    ];
    const { deleted, result } = plan(candidates, { keep: 5 });
    expect(deleted).toEqual(['stale']);
    expect(result.delete[0]!.reason).toMatch(
      /abandoned upload \(no manifest.json, last written 1.5 days ago\)/,
    );
    expect(result.keep.find((v) => v.name === 'fresh')!.reason).toMatch(/may still be running/);
  });

  it('removes abandoned uploads even when keep is 0 (they are not backups)', () => {
    const candidates: RetentionCandidate[] = [
      ...daily(2),
      { name: 'stale', kind: 'incomplete', time: daysAgo(3), collections: [] },
    ];
    expect(plan(candidates, {}).deleted).toEqual(['stale']);
  });

  it('honours a custom abandonment age', () => {
    const candidates: RetentionCandidate[] = [
      complete('day-0', 0),
      { name: 'stale', kind: 'incomplete', time: new Date(NOW.getTime() - 2 * 3600_000), collections: [] },
    ];
    expect(plan(candidates, { abandonedAfterMs: 3600_000 }).deleted).toEqual(['stale']);
  });

  it('never deletes a backup whose manifest cannot be read', () => {
    const candidates: RetentionCandidate[] = [
      ...daily(2),
      { name: 'odd', kind: 'unreadable', time: daysAgo(300), collections: [] },
    ];
    const { deleted, kept } = plan(candidates, { keep: 1, keepDays: 1 });
    expect(deleted).toEqual(['day-1']);
    expect(kept).toContain('odd');
  });

  it('never touches a folder that is not a backup (other data under the same prefix)', () => {
    const candidates: RetentionCandidate[] = [
      ...daily(2),
      { name: 'photos', kind: 'foreign', time: daysAgo(100), collections: [] },
    ];
    const { deleted, result } = plan(candidates, { keep: 1, keepDays: 1 });
    expect(deleted).toEqual(['day-1']);
    expect(result.keep.find((v) => v.name === 'photos')!.reason).toMatch(/not a backup/);
  });

  it('keeps a lone backup with keep 1', () => {
    expect(plan(daily(1), { keep: 1 }).deleted).toEqual([]);
  });

  it('orders backups made in the same second by name', () => {
    const same = new Date(NOW.getTime() - 1000);
    const candidates: RetentionCandidate[] = [
      { name: 'b-2', kind: 'complete', time: same, collections: ['a'] },
      { name: 'b-1', kind: 'complete', time: same, collections: ['a'] },
      { name: 'b-3', kind: 'complete', time: same, collections: ['a'] },
    ];
    expect(plan(candidates, { keep: 1, justWritten: 'b-3' }).deleted).toEqual(['b-2', 'b-1']);
  });

  it('says why each backup is deleted', () => {
    const { result } = plan(daily(12), { keep: 3, keepDays: 10 });
    expect(result.delete.map((v) => v.reason)).toEqual([
      'beyond the 3 newest (keep) and older than 10 days (keep-days; 10.0 days old)',
      'beyond the 3 newest (keep) and older than 10 days (keep-days; 11.0 days old)',
    ]);
  });

  it('refuses negative or fractional settings', () => {
    expect(() => plan(daily(2), { keep: -1 })).toThrow(/'keep' must be a whole number/);
    expect(() => plan(daily(2), { keep: 1.5 })).toThrow(/'keep' must be a whole number/);
    expect(() => plan(daily(2), { keepDays: -2 })).toThrow(/'keep-days' must be/);
  });

  it('returns an empty plan for an empty prefix', () => {
    expect(planRetention([], { keep: 3, keepDays: 0, justWritten: 'x', now: NOW })).toEqual({
      delete: [],
      keep: [],
    });
  });
});

describe('planRetention properties', () => {
  const collectionNames = ['a', 'b', 'c', 'd'];
  const candidate = fc.record({
    kind: fc.constantFrom<RetentionCandidate['kind']>(
      'complete',
      'complete',
      'complete',
      'incomplete',
      'unreadable',
      'foreign',
    ),
    ageHours: fc.integer({ min: 0, max: 24 * 60 }),
    collections: fc.subarray(collectionNames),
  });
  const world = fc
    .record({
      backups: fc.array(candidate, { minLength: 1, maxLength: 25 }),
      keep: fc.integer({ min: 0, max: 10 }),
      keepDays: fc.integer({ min: 0, max: 30 }),
      justWrittenIndex: fc.nat(),
    })
    .map(({ backups, keep, keepDays, justWrittenIndex }) => {
      const candidates: RetentionCandidate[] = backups.map((b, i) => ({
        name: `backup-${String(i).padStart(2, '0')}`,
        kind: b.kind,
        time: new Date(NOW.getTime() - b.ageHours * 3600_000),
        collections: b.kind === 'complete' ? b.collections : [],
      }));
      const completeOnes = candidates.filter((c) => c.kind === 'complete');
      const justWritten =
        completeOnes.length > 0 ? completeOnes[justWrittenIndex % completeOnes.length]!.name : 'not-there';
      return { candidates, policy: { keep, keepDays, justWritten, now: NOW } satisfies RetentionPolicy };
    });

  it('puts every backup in exactly one of delete and keep', () => {
    fc.assert(
      fc.property(world, ({ candidates, policy }) => {
        const result = planRetention(candidates, policy);
        const names = [...result.delete, ...result.keep].map((v) => v.name).sort();
        expect(names).toEqual(candidates.map((c) => c.name).sort());
      }),
    );
  });

  it('never deletes the backup just written, an unreadable one, a foreign folder, or an upload less than a day old', () => {
    fc.assert(
      fc.property(world, ({ candidates, policy }) => {
        const byName = new Map(candidates.map((c) => [c.name, c]));
        for (const verdict of planRetention(candidates, policy).delete) {
          const c = byName.get(verdict.name)!;
          expect(c.name).not.toBe(policy.justWritten);
          expect(c.kind).not.toBe('unreadable');
          expect(c.kind).not.toBe('foreign');
          if (c.kind === 'incomplete') expect(NOW.getTime() - c.time.getTime()).toBeGreaterThan(DAY_MS);
        }
      }),
    );
  });

  it('keeps, for every collection, a copy in the newest complete backup that holds it', () => {
    fc.assert(
      fc.property(world, ({ candidates, policy }) => {
        const result = planRetention(candidates, policy);
        const deleted = new Set(result.delete.map((v) => v.name));
        const remaining = candidates.filter((c) => c.kind === 'complete' && !deleted.has(c.name));
        for (const collection of collectionNames) {
          const holders = candidates.filter(
            (c) => c.kind === 'complete' && c.collections.includes(collection),
          );
          if (holders.length === 0) continue;
          const newest = Math.max(...holders.map((c) => c.time.getTime()));
          expect(
            remaining.some((c) => c.collections.includes(collection) && c.time.getTime() === newest),
          ).toBe(true);
        }
      }),
    );
  });

  it('keeps at least min(keep, complete backups) complete backups, and all of them when no rule is set', () => {
    fc.assert(
      fc.property(world, ({ candidates, policy }) => {
        const result = planRetention(candidates, policy);
        const completeCount = candidates.filter((c) => c.kind === 'complete').length;
        const keptComplete = result.keep.filter((v) => v.kind === 'complete').length;
        if (policy.keep > 0)
          expect(keptComplete).toBeGreaterThanOrEqual(Math.min(policy.keep, completeCount));
        if (policy.keep === 0 && policy.keepDays === 0) expect(keptComplete).toBe(completeCount);
      }),
    );
  });

  it('deletes a complete backup only when every set rule gives it up', () => {
    fc.assert(
      fc.property(world, ({ candidates, policy }) => {
        const result = planRetention(candidates, policy);
        const newerComplete = (c: RetentionCandidate) =>
          candidates.filter(
            (o) =>
              o.kind === 'complete' &&
              (o.time.getTime() > c.time.getTime() ||
                (o.time.getTime() === c.time.getTime() && o.name > c.name)),
          ).length;
        const byName = new Map(candidates.map((c) => [c.name, c]));
        for (const verdict of result.delete.filter((v) => v.kind === 'complete')) {
          const c = byName.get(verdict.name)!;
          expect(policy.keep > 0 || policy.keepDays > 0).toBe(true);
          if (policy.keep > 0) expect(newerComplete(c)).toBeGreaterThanOrEqual(policy.keep);
          if (policy.keepDays > 0)
            expect(NOW.getTime() - c.time.getTime()).toBeGreaterThanOrEqual(policy.keepDays * DAY_MS);
        }
      }),
    );
  });

  it('gives the same plan whatever order the listing comes in', () => {
    fc.assert(
      fc.property(world, fc.nat(), ({ candidates, policy }, seed) => {
        const shuffled = [...candidates].sort(
          (a, b) => ((a.name.charCodeAt(8) * seed) % 7) - ((b.name.charCodeAt(8) * seed) % 7),
        );
        expect(planRetention(shuffled, policy)).toEqual(planRetention(candidates, policy));
      }),
    );
  });
});
