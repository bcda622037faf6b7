import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundled } from '../helpers/bundles.js';
import { closedPort, runCli } from '../helpers/cli-process.js';
import { ROOT } from '../helpers/run-action.js';
import { seedCollections, startTarget } from '../helpers/target.js';

/** Runs the CLI (bundled from src/; `entry` another bundle) with a clean environment. */
async function cli(args: string[], env: Record<string, string> = {}, entry = bundled('cli')) {
  const home = await mkdtemp(path.join(os.tmpdir(), 'cli-manners-'));
  return runCli(args, { home, env, entry });
}

describe('the CLI is polite', () => {
  it('suggests the flag or command that was probably meant', async () => {
    const flag = await cli(['backup', '--colections', 'a']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('Unknown flag --colections. Did you mean --collections?');
    expect(flag.stderr).not.toContain('To specify a positional argument');
    const command = await cli(['backpu']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('Did you mean backup?');
    const far = await cli(['list', '--frobnicate']);
    expect(far.stderr).toContain('Unknown flag --frobnicate. Run qdrant-snapshot --help');
  });

  it('--version prints the version of package.json (from src/ and from the committed dist/cli)', async () => {
    const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const run = await cli([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    }
    const committed = await cli(['--version'], {}, path.join(ROOT, 'dist/cli/index.js'));
    expect(committed.stdout.trim()).toBe(version);
  });

  it('list on a fresh machine (no backup folder yet) is not an error', async () => {
    const missing = path.join(os.tmpdir(), `no-such-backups-${process.pid}-${Date.now()}`);
    const run = await cli(['list', missing]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`No backups under ${missing} (the folder does not exist yet).`);
    expect(run.stderr).toBe('');
    const home = await cli(['list']);
    expect(home.code).toBe(0);
    expect(home.stdout).toContain('No backups under');
  });

  it('announces the retries of a refused connection once, with a count, then fails once', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await cli(['backup', '--url', url]);
    expect(run.code).toBe(1);
    const retries = run.stderr.match(/retrying in/g) ?? [];
    expect(retries).toHaveLength(1);
    expect(run.stderr).toContain(`Qdrant at ${url} refused the connection; retrying in`);
    expect(run.stderr).toContain('(attempt 2 of 5)');
    expect(run.stderr.match(/^error: /gm)).toHaveLength(1);
    expect(run.stderr).toMatch(/error: Cannot connect to Qdrant at .* \(connection refused\).*Check --url/);
  }, 30_000);

  it('a DNS failure names the host that does not resolve', async () => {
    // .invalid never resolves (RFC 2606).
    const run = await cli(['backup', '--url', 'http://qdrant.example.invalid:6333']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /error: Cannot reach Qdrant at http:\/\/qdrant\.example\.invalid:6333: the host name qdrant\.example\.invalid does not resolve \((ENOTFOUND|EAI_AGAIN)\).*Check the host name in --url/,
    );
    expect(run.stderr).not.toContain('broke');
  }, 30_000);

  it('a restore where every collection was skipped has nothing to verify, and the backup names no artifact', async () => {
    const target = await startTarget();
    try {
      const { names } = await seedCollections(target);
      const env = { QDRANT_URL: target.url, ...(target.apiKey ? { QDRANT_API_KEY: target.apiKey } : {}) };
      const out = await mkdtemp(path.join(os.tmpdir(), 'cli-skip-'));
      const backup = await cli(['backup', '--out', out, '--collections', names.dense], env);
      expect(backup.code).toBe(0);
      expect(backup.stdout).not.toMatch(/artifact/i);
      const restore = await cli(['restore', out, '--if-exists', 'skip'], env);
      expect(restore.code).toBe(0);
      expect(restore.stdout).toContain('Nothing to verify');
      expect(restore.stdout).not.toContain('Verified: false');
    } finally {
      await target.close();
    }
  });

  it('backs up to an age recipient and restores with --encryption-identity FILE; without it, says which flag', async () => {
    const target = await startTarget();
    try {
      const { names, points } = await seedCollections(target);
      const env = { QDRANT_URL: target.url, ...(target.apiKey ? { QDRANT_API_KEY: target.apiKey } : {}) };
      const identity = await generateX25519Identity();
      const out = await mkdtemp(path.join(os.tmpdir(), 'cli-age-'));
      const backup = await cli(
        [
          'backup',
          '--out',
          out,
          '--collections',
          names.dense,
          '--encryption-recipients',
          await identityToRecipient(identity),
        ],
        env,
      );
      expect(backup.code, backup.stderr).toBe(0);
      expect(backup.stdout).toContain('encrypted (age-x25519)');
      const [folder] = await readdir(out);
      expect((await readdir(path.join(out, folder!))).sort()).toEqual(
        [`${names.dense}.snapshot.age`, 'manifest.json'].sort(),
      );
      const copy = `${names.dense}_copy`;
      const none = await cli(['restore', out, '--rename', `${names.dense}=${copy}`], env);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain(
        'give the matching identity (AGE-SECRET-KEY-1...) in --encryption-identity',
      );
      const keyFile = path.join(out, 'key.txt');
      await writeFile(keyFile, `# public key: ...\n${identity}\n`);
      const restored = await cli(
        [
          'restore',
          path.join(out, folder!),
          '--rename',
          `${names.dense}=${copy}`,
          '--encryption-identity',
          keyFile,
        ],
        env,
      );
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toContain('✅ verified');
      expect(`${restored.stdout}${restored.stderr}`).not.toContain(identity);
      const { count } = await target.call<{ count: number }>('POST', `/collections/${copy}/points/count`, {
        exact: true,
      });
      expect(count).toBe(points[names.dense]);
    } finally {
      await target.close();
    }
  });
});
