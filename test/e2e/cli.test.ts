import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { runCli } from '../helpers/cli-process.js';
import { allPoints, seedCollections, startTarget, type Target } from '../helpers/target.js';

let target: Target;
let seeded: Awaited<ReturnType<typeof seedCollections>>;
let home: string;

beforeEach(async () => {
  target = await startTarget();
  seeded = await seedCollections(target);
  home = await mkdtemp(path.join(os.tmpdir(), 'cli-home-'));
});

afterEach(() => target.close());

/** Runs the CLI (bundled from src/) as a user would, with a clean environment. */
function cli(args: string[], env: Record<string, string> = {}) {
  const server = { QDRANT_URL: target.url, ...(target.apiKey ? { QDRANT_API_KEY: target.apiKey } : {}) };
  return runCli(args, { home, env: { ...server, ...env } });
}

const only = () => ['--collections', `${target.prefix}*`];

describe('qdrant-snapshot CLI (bundled)', () => {
  it("backs up into a timestamped folder under ~/.qdrant-snapshot/backups, reading the seed scripts' QDRANT_HOST", async () => {
    const host = target.url.replace('http://', '');
    const run = await cli(['backup', ...only()], { QDRANT_URL: '', QDRANT_HOST: host });
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    const folders = await readdir(path.join(home, '.qdrant-snapshot', 'backups'));
    expect(folders).toHaveLength(1);
    expect(folders[0]).toMatch(/^qdrant-snapshots-\d{4}-\d{2}-\d{2}-\d{6}$/);
    expect(run.stdout).toContain('Total');
    expect(run.stdout).toContain(`${seeded.names.dense}`);
    // Not a terminal: plain progress lines, no carriage returns.
    expect(run.stderr).toMatch(/downloaded, .*\/s/);
    expect(run.stderr).not.toContain('\r');
  });

  it('--keep N keeps the newest N backups of each collection: a backup of one collection never removes the only backups of the others', async () => {
    const out = path.join(home, 'per-collection');
    expect((await cli(['backup', '--out', out, ...only()])).code).toBe(0);
    const [everything] = await readdir(out);
    const dense = ['--collections', seeded.names.dense];
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1100)); // folder names have one-second resolution
      const run = await cli(['backup', '--out', out, '--keep', '1', ...dense]);
      expect(run.code).toBe(0);
    }
    const entries = await readdir(out);
    // The backup of all three is still the newest of hybrid and aliased; of dense only the newest is kept.
    expect(entries).toHaveLength(2);
    expect(entries).toContain(everything);
    const list = await cli(['list', out]);
    expect(list.stdout.match(/3 collection\(s\)/g)).toHaveLength(1);
    expect(list.stdout.match(/1 collection\(s\)/g)).toHaveLength(1);
  }, 60_000);

  it('--keep N removes all but the newest N backups, and only folders holding a valid manifest', async () => {
    const out = path.join(home, 'backups');
    await mkdir(path.join(out, 'my-notes'), { recursive: true });
    await writeFile(path.join(out, 'my-notes', 'todo.txt'), 'keep me');
    for (let i = 0; i < 3; i++)
      expect((await cli(['backup', '--out', out, '--keep', '2', ...only()])).code).toBe(0);
    const entries = (await readdir(out)).sort();
    expect(entries).toHaveLength(3);
    expect(entries).toContain('my-notes');
    const list = await cli(['list', out]);
    expect(list.code).toBe(0);
    expect(list.stdout.match(/3 collection\(s\)/g)).toHaveLength(2);
    expect(list.stdout).toContain(`${seeded.names.aliased}: 5 points`);
    expect(list.stdout).toContain(`aliases ${seeded.alias}`);
  }, 60_000);

  it('verify compares the live server with the newest backup, and restore puts it back', async () => {
    const out = path.join(home, 'backups');
    expect((await cli(['backup', '--out', out, ...only()])).code).toBe(0);
    const ok = await cli(['verify', out]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`ok   ${seeded.names.dense} (30 points)`);

    const before = await allPoints(target, seeded.names.dense);
    await target.call('PUT', `/collections/${seeded.names.dense}/points?wait=true`, {
      points: [
        { id: 1001, vector: [1, 0, 0, 0] },
        { id: 1002, vector: [0, 1, 0, 0] },
      ],
    });
    const drift = await cli(['verify', out]);
    expect(drift.code).toBe(1);
    expect(drift.stdout).toContain(`FAIL ${seeded.names.dense}: points: expected 30, found 32`);

    const refused = await cli(['restore', out, '--collections', seeded.names.dense]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--if-exists fail keeps them untouched');
    const restored = await cli([
      'restore',
      out,
      '--collections',
      seeded.names.dense,
      '--if-exists',
      'overwrite',
    ]);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('✅ verified');
    expect(await allPoints(target, seeded.names.dense)).toEqual(before);
  }, 60_000);

  it("restore --rename with the backup's alias taken advises --no-aliases, not another rename", async () => {
    const out = path.join(home, 'backups');
    expect((await cli(['backup', '--out', out, ...only()])).code).toBe(0);
    // Renamed, the collection is new, but the backup's alias still exists on the server.
    const copy = `${target.prefix}aliased_copy`;
    const refused = await cli([
      'restore',
      out,
      '--collections',
      seeded.names.aliased,
      '--rename',
      `${seeded.names.aliased}=${copy}`,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`alias ${seeded.alias} (points at ${seeded.names.aliased})`);
    expect(refused.stderr).toContain("leave the backup's aliases out with --no-aliases");
    expect(refused.stderr).not.toMatch(/'rename'|aliases: false/);
    const restored = await cli([
      'restore',
      out,
      '--collections',
      seeded.names.aliased,
      '--rename',
      `${seeded.names.aliased}=${copy}`,
      '--no-aliases',
    ]);
    expect(restored.code).toBe(0);
    expect(await target.call('POST', `/collections/${copy}/points/count`, { exact: true })).toEqual({
      count: 5,
    });
  }, 60_000);

  it('documents every flag in --help and refuses unknown ones with exit status 2', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const flag of [
      '--url',
      '--api-key',
      '--out',
      '--collections',
      '--exclude',
      '--concurrency',
      '--keep',
      '--rename',
      '--if-exists',
      '--encryption-key',
    ]) {
      expect(help.stdout).toContain(flag);
    }
    const bad = await cli(['backup', '--frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown flag --frobnicate. Run qdrant-snapshot --help for the flags.');
    const badValue = await cli(['backup', '--concurrency', 'many']);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('--concurrency got "many"');
  });
});
