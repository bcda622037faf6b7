import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-action.js';
import { seedCollections, startTarget } from '../helpers/target.js';

const run = promisify(execFile);

/** What `npm pack --json` says about the tarball it wrote. */
interface PackResult {
  filename: string;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

/** The npm package must hold only what the CLI needs: the bundle and the documents every copy carries. */
const ALLOWED = /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/cli\/[^/]+)$/;
// Issue 17's limit. About 1.4 MB with the S3 client (AWS SDK v3) bundled: undici's index is left out,
// licence texts are written once, and terser compresses.
const LIMIT_BYTES = 1_500_000;

let work: string;
let pack: PackResult;
let installDir: string;

/** Environment of the installed CLI: nothing of this checkout (no NODE_PATH, no npm config). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: work, ...extra };
}

/** Runs the installed `qdrant-snapshot` through the shim npm made for its `bin`, as a user's shell would. */
function installedCli(args: string[], env: Record<string, string> = {}) {
  const bin = path.join(installDir, 'node_modules', '.bin', 'qdrant-snapshot');
  return process.platform === 'win32'
    ? run(`${bin}.cmd`, args, { cwd: installDir, env: cleanEnv(env), shell: true })
    : run(bin, args, { cwd: installDir, env: cleanEnv(env) });
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pack-test-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  pack = (JSON.parse(stdout) as PackResult[])[0]!;

  // An empty folder, offline: a registry that refuses connections and an empty cache. A package with
  // a dependency cannot install here; one that bundles everything can.
  installDir = path.join(work, 'user');
  await mkdir(installDir);
  await writeFile(path.join(installDir, 'package.json'), '{ "private": true }\n');
  await run(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--cache',
      path.join(work, 'npm-cache'),
      '--registry',
      'http://127.0.0.1:9/',
      path.join(work, pack.filename),
    ],
    { cwd: installDir, env: { ...cleanEnv(), npm_config_userconfig: path.join(work, 'no-npmrc') } },
  );
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the npm package (npm pack)', () => {
  it(`is under ${LIMIT_BYTES / 1e6} MB unpacked`, () => {
    expect(pack.unpackedSize).toBeGreaterThan(0);
    expect(pack.unpackedSize).toBeLessThan(LIMIT_BYTES);
  });

  it('holds the CLI bundle, README, LICENSE and CHANGELOG, and no test, bench, CI or action-only file', () => {
    const paths = pack.files.map((file) => file.path);
    expect(paths.filter((file) => !ALLOWED.test(file))).toEqual([]);
    expect(paths).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
        'dist/cli/index.js',
        'dist/cli/licenses.txt',
      ]),
    );
    expect(
      paths.filter((file) => /^(test|bench|\.ci|\.github|src|scripts|dist\/main|dist\/post)\//.test(file)),
    ).toEqual([]);
  });

  it('declares no runtime dependency and a bin that it ships', async () => {
    const manifest = JSON.parse(
      await readFile(path.join(installDir, 'node_modules', 'qdrant-snapshot-action', 'package.json'), 'utf8'),
    ) as Record<string, unknown>;
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies']) {
      expect(manifest[field], field).toBeUndefined();
    }
    expect(manifest.private).toBeUndefined();
    expect(manifest.bin).toEqual({ 'qdrant-snapshot': 'dist/cli/index.js' });
    expect(pack.files.map((file) => file.path)).toContain('dist/cli/index.js');
  });

  it('carries the license text of every package bundled into the CLI', async () => {
    const licenses = await readFile(
      path.join(installDir, 'node_modules', 'qdrant-snapshot-action', 'dist', 'cli', 'licenses.txt'),
      'utf8',
    );
    // undici runs every request; age-encryption and @noble/* are in the lazily loaded chunk.
    for (const name of ['undici', 'age-encryption', '@noble/hashes', '@noble/ciphers']) {
      expect(licenses, name).toMatch(new RegExp(`^Package: ${name}@\\d+\\.\\d+\\.\\d+\\n`, 'm'));
    }
    expect(licenses).toContain('Permission is hereby granted, free of charge');
  });

  it('installs offline into an empty folder and adds no package besides itself', async () => {
    const installed = (await readdir(path.join(installDir, 'node_modules'))).filter(
      (name) => !name.startsWith('.'),
    );
    expect(installed).toEqual(['qdrant-snapshot-action']);
  });

  it('runs the installed qdrant-snapshot --help', async () => {
    const { stdout } = await installedCli(['--help']);
    expect(stdout).toContain('Usage:');
    for (const command of ['backup', 'restore', 'verify', 'list']) {
      expect(stdout).toContain(`qdrant-snapshot ${command}`);
    }
  });

  it('prints the version of package.json (embedded in the bundle) with --version', async () => {
    const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const { stdout } = await installedCli(['--version']);
    expect(stdout.trim()).toBe(version);
  });

  it('backs up with encryption and restores with the installed CLI alone (the lazily loaded age chunk is packed)', async () => {
    const target = await startTarget();
    try {
      const { names, points } = await seedCollections(target);
      const source = names.dense;
      const copy = `${source}_copy`;
      const env = {
        QDRANT_URL: target.url,
        ...(target.apiKey ? { QDRANT_API_KEY: target.apiKey } : {}),
        QDRANT_SNAPSHOT_ENCRYPTION_KEY: 'pack-test-passphrase-0123456789',
      };
      const out = path.join(work, 'backups');
      await installedCli(['backup', '--out', out, '--collections', source], env);
      const [folder] = await readdir(out);
      expect(await readdir(path.join(out, folder!))).toContain(`${source}.snapshot.age`);

      await installedCli(['restore', out, '--rename', `${source}=${copy}`, '--no-aliases'], env);
      const { count } = await target.call<{ count: number }>('POST', `/collections/${copy}/points/count`, {
        exact: true,
      });
      expect(count).toBe(points[source]);
    } finally {
      await target.close();
    }
  });
});
