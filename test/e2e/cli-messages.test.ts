import { cp, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/server/ports.js';
import { runCli } from '../helpers/cli-process.js';
import { seedCollections, startTarget, type Target } from '../helpers/target.js';

// The CLI shares the core with the action, whose messages name action inputs. Every error the CLI can be
// led into must name its flags instead, and nothing of GitHub Actions.

let target: Target;
let seeded: Awaited<ReturnType<typeof seedCollections>>;
let home: string;
/** Backups made once: plain, encrypted, and one whose manifest claims a far older Qdrant. */
let plain: string;
let encrypted: string;
let old: string;
const KEY = 'a-long-enough-passphrase-for-age';

function cli(args: string[], env: Record<string, string> = {}) {
  const server = { QDRANT_URL: target.url, ...(target.apiKey ? { QDRANT_API_KEY: target.apiKey } : {}) };
  return runCli(args, { home, env: { ...server, ...env } });
}

const SETTINGS =
  'url|api-key|collections|exclude|path|concurrency|timeout|keep-server-snapshots|aliases|encryption-key|rename|if-exists|verify|allow-version-mismatch';

/** Nothing of the action's vocabulary: no inputs, no `name: value` settings, no secrets syntax, no artifacts. */
function expectCliWords(text: string): void {
  expect(text).not.toMatch(/Inputs? '/);
  expect(text).not.toMatch(new RegExp(`'(${SETTINGS})'`));
  expect(text).not.toMatch(new RegExp(`(^|[\\s(])(${SETTINGS}|start|artifact|mode): `));
  expect(text).not.toContain('${{');
  expect(text).not.toMatch(/artifact/i);
  expect(text).not.toMatch(/start: (docker|binary)/);
}

async function backupInto(args: string[]): Promise<string> {
  const out = await mkdtemp(path.join(home, 'out-'));
  const run = await cli(['backup', '--out', out, '--collections', `${target.prefix}*`, ...args]);
  expect(run.code, run.stderr).toBe(0);
  return path.join(out, (await readdir(out))[0]!);
}

beforeAll(async () => {
  target = await startTarget();
  seeded = await seedCollections(target);
  home = await mkdtemp(path.join(os.tmpdir(), 'cli-messages-'));
  plain = await backupInto([]);
  encrypted = await backupInto(['--encryption-key', KEY]);
  old = await mkdtemp(path.join(home, 'old-'));
  await cp(plain, old, { recursive: true });
  const manifest = JSON.parse(await readFile(path.join(old, 'manifest.json'), 'utf8'));
  await writeFile(path.join(old, 'manifest.json'), JSON.stringify({ ...manifest, qdrant_version: '1.0.0' }));
}, 120_000);

afterAll(() => target?.close());

describe('CLI messages name flags, never action inputs', () => {
  it('a successful backup says nothing about artifacts', async () => {
    const run = await cli(['backup', '--out', path.join(home, 'ok'), '--collections', seeded.names.dense]);
    expect(run.code).toBe(0);
    expectCliWords(run.stdout + run.stderr);
  });

  // [what, arguments, environment, the flag wording the message must hold]
  const cases: [string, () => string[], Record<string, string>, string | RegExp][] = [
    ['a bad number', () => ['backup', '--concurrency', 'many'], {}, '--concurrency got "many"'],
    ['out of range', () => ['backup', '--timeout', '0'], {}, '--timeout got "0"; it accepts a whole number'],
    ['a bad choice', () => ['restore', plain, '--if-exists', 'replace'], {}, '--if-exists got "replace"'],
    [
      'a bad collection name',
      () => ['backup', '--collections', 'a/b'],
      {},
      '--collections: collection name "a/b"',
    ],
    ['a bad exclude', () => ['backup', '--exclude', '..'], {}, '--exclude: collection name ".."'],
    ['a bad rename pair', () => ['restore', plain, '--rename', 'oops'], {}, '--rename got "oops"'],
    ['rename at backup', () => ['backup', '--rename', 'a=b'], {}, '--rename applies to a restore only'],
    ['a URL without scheme', () => ['backup', '--url', 'localhost:6333'], {}, '--url got "localhost:6333"'],
    [
      'credentials in the URL',
      () => ['backup', '--url', 'http://me:secret@localhost:6333'],
      {},
      '--url must not carry credentials in the URL; pass the key in --api-key',
    ],
    ['a short key', () => ['backup', '--encryption-key', 'short'], {}, '--encryption-key is shorter than 16'],
    ['--keep 0', () => ['backup', '--keep', '0'], {}, '--keep got "0"'],
    [
      'a missing collection',
      () => ['backup', '--collections', `${target.prefix}nope`],
      {},
      /--collections names "t[0-9a-f]+_nope"/,
    ],
    [
      'a selection that matches nothing',
      () => ['backup', '--collections', `${target.prefix}*`, '--exclude', '*'],
      {},
      /matches --collections '.*' minus --exclude '\*'/,
    ],
    [
      'nothing to back up at a wrong URL',
      // Not the default localhost:6333, which a server test may be using at the same moment.
      () => ['backup', '--url', 'http://127.0.0.1:9'],
      {},
      /Check --url|--url|Cannot connect/,
    ],
    [
      'existing collections',
      () => ['restore', plain, '--collections', seeded.names.dense],
      {},
      '--if-exists fail keeps them untouched. Set --if-exists to skip',
    ],
    [
      'a rename of nothing selected',
      () => ['restore', plain, '--rename', 'ghost=x'],
      {},
      '--rename renames "ghost"',
    ],
    [
      'an encrypted backup without key',
      () => [
        'restore',
        encrypted,
        '--collections',
        seeded.names.dense,
        '--rename',
        `${seeded.names.dense}=x`,
      ],
      {},
      'This backup is encrypted with a passphrase (age); give it in --encryption-key',
    ],
    [
      'a wrong key',
      () => ['restore', encrypted, '--encryption-key', 'the-wrong-passphrase-here', '--if-exists', 'skip'],
      {},
      'the --encryption-key is not the one this backup was encrypted with',
    ],
    [
      'a backup of a far older Qdrant',
      () => ['restore', old, '--rename', renameAll()],
      {},
      'or use --allow-version-mismatch to try anyway',
    ],
    ['restore without a folder', () => ['restore'], {}, 'qdrant-snapshot restore DIR'],
    ['a folder without a backup', () => ['verify', home + '/nothing-here'], {}, /nothing-here/],
  ];

  it.each(cases)('%s', async (_what, args, env, wording) => {
    const run = await cli(args(), env);
    expect(run.code, run.stdout + run.stderr).not.toBe(0);
    if (typeof wording === 'string') expect(run.stderr).toContain(wording);
    else expect(run.stderr).toMatch(wording);
    expectCliWords(run.stdout + run.stderr);
  });

  it('a refused connection names --url and no start input', async () => {
    const run = await cli(['backup', '--timeout', '5'], {
      QDRANT_URL: `http://127.0.0.1:${await freePort()}`,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Check --url (REST port, usually 6333).');
    expectCliWords(run.stdout + run.stderr);
  }, 60_000);
});

function renameAll(): string {
  return Object.values(seeded.names)
    .map((name) => `${name}=${name}_old`)
    .join(',');
}
