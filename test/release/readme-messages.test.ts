import { mkdtemp, readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { closedPort, runCli } from '../helpers/cli-process.js';
import { ROOT } from '../helpers/run-action.js';

/**
 * Every CLI message a test can provoke without a server is in README's troubleshooting tables: each is
 * provoked here, and must match a row's first column (a code span whose "…" stands for any text).
 */
let patterns: string[][];

beforeAll(async () => {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Errors and troubleshooting\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  patterns = [...section.matchAll(/^\| (.+?) \| /gm)].flatMap(([, cell]) =>
    [...cell!.matchAll(/`([^`]+)`/g)].map(([, span]) => span!.split('…').map((piece) => piece.trim())),
  );
});

/** Whether README lists the message: the pieces of one pattern appear in it, in order. */
function listed(message: string): boolean {
  return patterns.some((pieces) => {
    let at = 0;
    for (const piece of pieces) {
      const found = message.indexOf(piece, at);
      if (found < 0 || (at === 0 && found !== 0 && piece === pieces[0])) return false;
      at = found + piece.length;
    }
    return true;
  });
}

async function cli(args: string[]) {
  const home = await mkdtemp(path.join(os.tmpdir(), 'readme-messages-'));
  return runCli(args, { home });
}

const missing = path.join(os.tmpdir(), 'qdrant-snapshot-no-such-folder');
const USAGE: string[][] = [
  ['backup', '--colections', 'a'],
  ['list', '--frobnicate'],
  ['backpu'],
  ['list', 'a', 'b'],
  ['restore'],
  ['backup', 'somewhere'],
  ['restore', missing],
  ['backup', '--concurrency', 'many'],
  ['backup', '--keep', '0'],
  ['backup', '--encryption-recipients', 'ssh-ed25519'],
  ['backup', '--encryption-key', 'short'],
  ['backup', '--encryption-identity', path.join(missing, 'key.txt')],
  ['restore', os.tmpdir(), '--if-exists', 'replace'],
];

describe("README's troubleshooting lists the CLI's messages", () => {
  it('matches a message only where a row describes it', () => {
    expect(patterns.length).toBeGreaterThan(20);
    expect(listed('Unknown flag --x. Did you mean --y? Run qdrant-snapshot --help for the flags.')).toBe(
      true,
    );
    expect(listed('Something no row describes')).toBe(false);
    expect(listed('error: Unknown flag --x')).toBe(false);
  });

  it.each(USAGE.map((args) => [args.join(' '), args] as const))('qdrant-snapshot %s', async (_, args) => {
    const run = await cli([...args]);
    expect(run.code).not.toBe(0);
    const message = run.stderr
      .trim()
      .split('\n')
      .at(-1)!
      .replace(/^error: /, '');
    expect(listed(message), message).toBe(true);
  });

  it('list before the first backup, and a server that refuses or does not resolve', async () => {
    const list = await cli(['list', missing]);
    expect(list.code).toBe(0);
    expect(listed(list.stdout.trim()), list.stdout).toBe(true);
    const refused = await cli(['backup', '--url', `http://127.0.0.1:${await closedPort()}`]);
    const lines = refused.stderr.trim().split('\n');
    for (const line of lines) expect(listed(line.replace(/^(error|warning): /, '')), line).toBe(true);
    const dns = await cli(['backup', '--url', 'http://qdrant.example.invalid:6333']);
    const last = dns.stderr
      .trim()
      .split('\n')
      .at(-1)!
      .replace(/^error: /, '');
    expect(listed(last), last).toBe(true);
  }, 40_000);
});
