import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-process.js';
import { runAction } from '../helpers/run-action.js';
import { seedCollections, startTarget, type Target } from '../helpers/target.js';

let target: Target;
let seeded: Awaited<ReturnType<typeof seedCollections>>;
let home: string;

beforeEach(async () => {
  target = await startTarget();
  seeded = await seedCollections(target);
  home = await mkdtemp(path.join(os.tmpdir(), 'verify-content-'));
});

afterEach(() => target.close());

/** Runs the CLI (bundled from src/) as a process. */
function cli(args: string[]) {
  const server = { QDRANT_URL: target.url, ...(target.apiKey ? { QDRANT_API_KEY: target.apiKey } : {}) };
  return runCli(args, { home, env: server });
}

/** Backs the hybrid collection (12 points, ids 100-111, named dense + sparse vectors, payloads) up. */
async function backupHybrid(fingerprint: 'full' | 'sample' = 'full'): Promise<string> {
  const out = path.join(home, `backups-${fingerprint}`);
  const run = await cli([
    'backup',
    '--out',
    out,
    '--collections',
    seeded.names.hybrid,
    '--fingerprint',
    fingerprint,
  ]);
  expect(run.stderr).not.toContain('error');
  expect(run.code).toBe(0);
  const [folder] = await readdir(out);
  return path.join(out, folder!);
}

const point = (id: number, title: number[], payload: Record<string, unknown>) => ({
  id,
  vector: { title, keywords: { indices: [1, 6], values: [0.5, 0.25] } },
  payload,
});

/** The ways a restore can keep the count and still not hold the backup's content. */
const CHANGES: {
  what: string;
  change: (copy: string) => Promise<void>;
  named: RegExp;
}[] = [
  {
    what: 'one payload value changed',
    change: async (copy) => {
      const [record] = await target.call<{ payload: Record<string, unknown>; vector: unknown }[]>(
        'POST',
        `/collections/${copy}/points`,
        { ids: [105], with_payload: true, with_vector: true },
      );
      await target.call('PUT', `/collections/${copy}/points?wait=true`, {
        points: [{ id: 105, vector: record!.vector, payload: { ...record!.payload, title: 'doc 5!' } }],
      });
    },
    named: /point 105: payload differs/,
  },
  {
    what: 'one vector component changed',
    change: async (copy) => {
      const [record] = await target.call<
        { payload: Record<string, unknown>; vector: { title: number[]; keywords: unknown } }[]
      >('POST', `/collections/${copy}/points`, { ids: [107], with_payload: true, with_vector: true });
      const title = [...record!.vector.title];
      title[1] = title[1]! + 0.5;
      await target.call('PUT', `/collections/${copy}/points?wait=true`, {
        points: [{ id: 107, vector: { ...record!.vector, title }, payload: record!.payload }],
      });
    },
    named: /point 107: vector 'title' differs/,
  },
  {
    what: 'one point dropped and another added',
    change: async (copy) => {
      await target.call('POST', `/collections/${copy}/points/delete?wait=true`, { points: [103] });
      await target.call('PUT', `/collections/${copy}/points?wait=true`, {
        points: [point(500, [0.1, 0.2, 0.3], { title: 'intruder', tags: [] })],
      });
    },
    named: /point 103 is missing/,
  },
];

describe('content verification (CLI and action as processes)', () => {
  it('a restore that keeps the count but not the content fails full and sample verification naming the point; counts passes it', async () => {
    const folder = await backupHybrid();
    const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8'));
    const [entry] = manifest.collections;
    expect(entry.written_during_backup).toBe(false);
    expect(entry.fingerprint).toMatchObject({ algorithm: 'qsfp-v1', points: 12 });
    expect(entry.fingerprint.sample.ids).toHaveLength(12);

    for (const [i, { what, change, named }] of CHANGES.entries()) {
      const copy = `${target.prefix}copy${i}`;
      const rename = ['--rename', `${seeded.names.hybrid}=${copy}`];
      const restored = await cli(['restore', folder, ...rename, '--verify', 'full']);
      expect(restored.stderr, what).not.toContain('error');
      expect(restored.code, what).toBe(0);

      await change(copy);
      const count = await target.call<{ count: number }>('POST', `/collections/${copy}/points/count`, {
        exact: true,
      });
      expect(count.count, what).toBe(12);

      for (const level of ['full', 'sample']) {
        const run = await cli(['verify', folder, ...rename, '--verify', level]);
        expect(run.code, `${what}, --verify ${level}`).toBe(1);
        expect(run.stderr, `${what}, --verify ${level}`).toContain(`collection ${copy} differs`);
        expect(run.stderr, `${what}, --verify ${level}`).toMatch(named);
      }
      const counts = await cli(['verify', folder, ...rename, '--verify', 'counts']);
      expect(counts.stderr, `${what}, --verify counts`).toBe('');
      expect(counts.code, `${what}, --verify counts`).toBe(0);
    }
  });

  it('full verification also names the added point; a changed HNSW m or a dropped payload index fails sample verification', async () => {
    const folder = await backupHybrid();
    const copy = `${target.prefix}copy`;
    const rename = ['--rename', `${seeded.names.hybrid}=${copy}`];
    expect((await cli(['restore', folder, ...rename])).code).toBe(0);
    await target.call('POST', `/collections/${copy}/points/delete?wait=true`, { points: [103] });
    await target.call('PUT', `/collections/${copy}/points?wait=true`, {
      points: [point(500, [0.1, 0.2, 0.3], { title: 'intruder', tags: [] })],
    });
    const full = await cli(['verify', folder, ...rename, '--verify', 'full']);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/point 103 is missing; also point 500 is not in the backup/);

    await target.call('PATCH', `/collections/${copy}`, { hnsw_config: { m: 4 } });
    const sample = await cli(['verify', folder, ...rename, '--verify', 'sample']);
    expect(sample.code).toBe(1);
    expect(sample.stderr).toMatch(/hnsw_config\.m: expected 16, found 4/);
  });

  it('the action restores with verify: sample (the default for true) and full, and rejects an unknown level', async () => {
    const folder = await backupHybrid();
    for (const [i, verify] of ['true', 'full', 'sample'].entries()) {
      const run = await runAction({
        mode: 'restore',
        url: target.url,
        'api-key': target.apiKey ?? '',
        path: folder,
        artifact: 'false',
        rename: `${seeded.names.hybrid}=${target.prefix}act${i}`,
        verify,
      });
      expect(run.errors, `verify: ${verify}`).toEqual([]);
      expect(run.code, `verify: ${verify}`).toBe(0);
      expect(run.stdout).toContain(`(verify: ${verify === 'true' ? 'sample' : verify})`);
    }
    const wrong = await runAction({
      mode: 'restore',
      url: target.url,
      path: folder,
      artifact: 'false',
      verify: 'everything',
    });
    expect(wrong.code).not.toBe(0);
    expect(wrong.errors.join('\n')).toMatch(/verify.*"everything".*full, sample, counts/);
  });

  it('by default a backup records a sample: the default verification checks it, a full one is refused before the server is touched', async () => {
    const out = path.join(home, 'backups');
    const backup = await cli(['backup', '--out', out, '--collections', seeded.names.hybrid]);
    expect(backup.code).toBe(0);
    const folder = path.join(out, (await readdir(out))[0]!);
    const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8'));
    const [entry] = manifest.collections;
    expect(entry.written_during_backup).toBe(false);
    expect(entry.fingerprint).toMatchObject({ algorithm: 'qsfp-v1', scope: 'sample', points: 12 });
    expect(entry.fingerprint.digest).toBeUndefined();
    // 12 points, fewer than the 256 drawn: the sample holds them all, in id order.
    expect(entry.fingerprint.sample.ids).toEqual(Array.from({ length: 12 }, (_, i) => 100 + i));

    const copy = `${target.prefix}sampled`;
    const rename = ['--rename', `${seeded.names.hybrid}=${copy}`];
    const refused = await cli(['restore', folder, ...rename, '--verify', 'full']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `--verify full compares every point with the backup's full content fingerprint, but this backup recorded a sample of ${seeded.names.hybrid}`,
    );
    expect(refused.stderr).toMatch(/--verify sample.*--fingerprint full/);
    expect(await target.call<{ exists: boolean }>('GET', `/collections/${copy}/exists`)).toEqual({
      exists: false,
    });

    const restored = await cli(['restore', folder, ...rename]);
    expect(restored.stderr).not.toContain('error');
    expect(restored.code).toBe(0);
    await CHANGES[0]!.change(copy);
    const run = await cli(['verify', folder, ...rename]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(CHANGES[0]!.named);

    const action = await runAction({
      mode: 'restore',
      url: target.url,
      'api-key': target.apiKey ?? '',
      path: folder,
      artifact: 'false',
      rename: `${seeded.names.hybrid}=${target.prefix}act`,
      verify: 'full',
    });
    expect(action.code).not.toBe(0);
    expect(action.errors.join('\n')).toMatch(
      /verify: full compares every point.*fingerprint: sample, the default.*verify: sample.*fingerprint: full/,
    );
  });
});
