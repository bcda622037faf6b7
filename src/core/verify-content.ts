import { isDeepStrictEqual } from 'node:util';
import type { ManifestCollection } from '../backup-format/manifest.js';
import type { QdrantClient } from '../qdrant/client.js';
import type { CollectionInfo } from '../qdrant/types.js';
import { InputError } from './errors.js';
import { compareFull, fingerprintCollection, readContentFingerprint, verifySample } from './fingerprint.js';
import { say, settingValue } from './wording.js';

export const VERIFY_LEVELS = ['full', 'sample', 'counts'] as const;
/** full: every point re-read and digested; sample: the backup's sampled points fetched by id; counts: counts only. */
export type VerifyLevel = (typeof VERIFY_LEVELS)[number];
/**
 * `sample` by default: a full scroll of 100,000 points of 384 dimensions takes longer than restoring them
 * (bench/fingerprint.mjs), while 256 points by id take well under a second.
 */
export const DEFAULT_VERIFY_LEVEL: VerifyLevel = 'sample';

/** The config sections a restore must reproduce, where the backup recorded them. */
const CONFIG_SECTIONS = ['params', 'hnsw_config', 'optimizer_config', 'quantization_config'] as const;
/**
 * Params that follow the topology restored into, not the data: a restore caps the replication factor at the
 * node count (with a warning), and the consistency factor follows it.
 */
const TOPOLOGY_PARAMS = new Set(['replication_factor', 'write_consistency_factor']);
/** How long a restored collection may stay yellow (optimizing) before that counts as a problem. */
const GREEN_WAIT_MS = 30_000;

const SAMPLE_ONLY =
  'the backup recorded a sample of this collection (fingerprint: sample), not every point: only a sample verification can check its content';

/**
 * Refuses a full verification of collections whose backup recorded only a sample, before the server is
 * touched: nothing could compare their every point.
 */
export function checkVerifyLevel(entries: readonly ManifestCollection[], level: VerifyLevel | false): void {
  if (level !== 'full') return;
  const sampled = entries
    .filter((entry) => (entry.fingerprint as { scope?: unknown } | null)?.scope === 'sample')
    .map((entry) => entry.name);
  if (sampled.length === 0) return;
  throw new InputError(
    say`${settingValue('verify', 'full')} compares every point with the backup's full content fingerprint, but this backup recorded a sample of ${sampled.join(', ')} (${settingValue('fingerprint', 'sample')}, the default). Verify at ${settingValue('verify', 'sample')}, or make the backup with ${settingValue('fingerprint', 'full')}.`,
  );
}

/**
 * Checks a restored collection beyond counts: its config (params, HNSW, optimizer, quantization),
 * its payload indexes (field names and types), its status, and at `full` or `sample` its content against
 * the backup's fingerprint. Returns the problems found, each naming what differs.
 */
export async function verifyContent(
  client: QdrantClient,
  expected: ManifestCollection,
  target: string,
  level: VerifyLevel,
  signal?: AbortSignal,
  /** The collection's info if the caller has just read it: one request less per collection. */
  known?: CollectionInfo,
): Promise<string[]> {
  if (level === 'counts') return [];
  const problems: string[] = [];
  const info = await waitUntilSettled(client, target, signal, known);
  problems.push(...configProblems(expected, info));
  if (info.status === 'red' || info.status === 'yellow') {
    problems.push(`status: ${info.status}, expected green`);
  }
  // No fingerprint: a backup made before fingerprints existed, or of a collection written to during the
  // backup (the backup said so then). Config and counts are still checked; failing every such restore
  // would make old backups unusable.
  if (expected.fingerprint === null) return problems;
  const fingerprint = readContentFingerprint(
    expected.fingerprint,
    `manifest.json: collection ${expected.name} fingerprint`,
  );
  if (level === 'full' && fingerprint.scope === 'sample') {
    // Restore and `verify` refuse this before touching the server (checkVerifyLevel): a problem, not a
    // silent downgrade to sample, for any other caller.
    problems.push(SAMPLE_ONLY);
    return problems;
  }
  const comparison =
    level === 'full' && fingerprint.scope !== 'sample'
      ? compareFull(
          target,
          fingerprint,
          await fingerprintCollection(client, target, {
            vectors: fingerprint.vectors,
            points: fingerprint.points,
            sampleSize: fingerprint.sample.ids.length,
            signal,
          }),
        )
      : await verifySample(client, target, fingerprint, { signal });
  if (!comparison.ok) problems.push(comparison.message);
  return problems;
}

/** Collection info once the collection is no longer yellow, or after GREEN_WAIT_MS. */
async function waitUntilSettled(
  client: QdrantClient,
  target: string,
  signal?: AbortSignal,
  known?: CollectionInfo,
): Promise<CollectionInfo> {
  const deadline = Date.now() + GREEN_WAIT_MS;
  for (let first = known; ; first = undefined) {
    const info = first ?? (await client.collectionInfo(target));
    if (info.status !== 'yellow' || Date.now() > deadline) return info;
    signal?.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Differences between the recorded config and payload schema and the live collection's. */
export function configProblems(expected: ManifestCollection, info: CollectionInfo): string[] {
  const problems: string[] = [];
  const have = info.config as unknown as Record<string, unknown>;
  for (const section of CONFIG_SECTIONS) {
    const want = expected.config[section];
    if (want === undefined) continue;
    const found = have[section] ?? null;
    if (isObject(want) && isObject(found)) {
      // Only keys the backup recorded: a newer server may report settings the older one did not have.
      for (const key of Object.keys(want)) {
        if (section === 'params' && TOPOLOGY_PARAMS.has(key)) continue;
        if (!isDeepStrictEqual(want[key] ?? null, found[key] ?? null)) {
          problems.push(
            `${section}.${key}: expected ${JSON.stringify(want[key])}, found ${JSON.stringify(found[key] ?? null)}`,
          );
        }
      }
    } else if (!isDeepStrictEqual(want ?? null, found)) {
      problems.push(`${section}: expected ${JSON.stringify(want)}, found ${JSON.stringify(found)}`);
    }
  }
  if (expected.payload_schema === null) return problems;
  const wantSchema = fieldTypes(expected.payload_schema);
  const haveSchema = fieldTypes((info.payload_schema ?? {}) as Record<string, unknown>);
  for (const [field, type] of wantSchema) {
    const found = haveSchema.get(field);
    if (found === undefined) problems.push(`payload index ${field} (${type}): missing`);
    else if (found !== type) problems.push(`payload index ${field}: expected ${type}, found ${found}`);
  }
  for (const [field, type] of haveSchema) {
    if (!wantSchema.has(field)) problems.push(`payload index ${field} (${type}): not in the backup`);
  }
  return problems;
}

function fieldTypes(schema: Record<string, unknown>): Map<string, string> {
  return new Map(
    Object.entries(schema).map(([field, info]) => [
      field,
      String(isObject(info) ? (info.data_type ?? 'unknown') : 'unknown'),
    ]),
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
