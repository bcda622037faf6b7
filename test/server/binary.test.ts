// start: binary end to end: the bundled main and post steps download a release-shaped archive from a local
// "release mirror" (download-base-url), cache it in a temp RUNNER_TOOL_CACHE and start its `qdrant`, a
// shell script that serves the Qdrant emulator on the port the action chose.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { releaseAsset } from '../../src/server/binary.js';
import { runAction, type ActionRun } from '../helpers/run-action.js';
import { bundled } from '../helpers/bundles.js';
import { noteTarget } from '../helpers/target-usage.js';
import {
  alive,
  close,
  EMULATOR_CLI,
  getJson,
  kill,
  lockPort6333,
  occupyWhenFree,
  removeTempDirs,
  seedBackup,
  tempDir,
} from './helpers.js';

const API_KEY = 'binary-test-key-1a2b3c4d5e6f';
const POST = bundled('post');
const ASSET = releaseAsset();
/** Path of a real qdrant executable (e.g. a local cargo build) for the optional real-binary test. */
const REAL_QDRANT = process.env.QDRANT_BINARY;

/** The `qdrant` executable of each version the mirror serves. */
const RELEASES: Record<string, string> = {
  // Serves the emulator with the variables the action sets, and records them.
  'v1.18.3': `#!/bin/sh
env | grep '^QDRANT__' | sort > "$PWD/qdrant-env.txt"
env | grep -E '^(INPUT_|ACTIONS_|GITHUB_TOKEN=)' | cut -d= -f1 > "$PWD/leaked-env.txt"
echo "fake qdrant: starting on port $QDRANT__SERVICE__HTTP_PORT"
if [ -n "$QDRANT__SERVICE__API_KEY" ]; then set -- --api-key "$QDRANT__SERVICE__API_KEY"; fi
exec "${process.execPath}" "${EMULATOR_CLI}" --port "$QDRANT__SERVICE__HTTP_PORT" --data "$QDRANT__STORAGE__STORAGE_PATH" "$@"
`,
  // Writes 60 log lines, then never listens.
  'v1.0.1': `#!/bin/sh
i=1
while [ $i -le 60 ]; do echo "fake qdrant: still loading, line $i"; i=$((i+1)); done
exec sleep 300
`,
  // Fails at once.
  'v1.0.2': `#!/bin/sh
echo "Panic: cannot open storage: permission denied" >&2
exit 3
`,
};

let mirror: http.Server;
let baseUrl: string;
const requests: string[] = [];
let toolCache: string;
let backup: string;
const started: number[] = [];

beforeAll(async () => {
  const work = await tempDir('qdrant-releases-');
  const files = new Map<string, Buffer>();
  for (const [version, script] of Object.entries(RELEASES)) {
    const dir = path.join(work, version);
    await mkdir(dir);
    await writeFile(path.join(dir, 'qdrant'), script);
    await chmod(path.join(dir, 'qdrant'), 0o755);
    const archive = path.join(work, `${version}.tar.gz`);
    await promisify(execFile)('tar', ['-czf', archive, '-C', dir, 'qdrant']);
    files.set(`/${version}/${ASSET}`, await readFile(archive));
  }
  // A real Qdrant build, when one is at hand: served as release v1.99.0.
  if (REAL_QDRANT) {
    const dir = path.join(work, 'real');
    await mkdir(dir);
    await copyFile(REAL_QDRANT, path.join(dir, 'qdrant'));
    const archive = path.join(work, 'real.tar.gz');
    await promisify(execFile)('tar', ['-czf', archive, '-C', dir, 'qdrant']);
    files.set(`/v1.99.0/${ASSET}`, await readFile(archive));
  }
  mirror = http.createServer((req, res) => {
    requests.push(req.url!);
    const body = files.get(req.url!);
    if (!body) return res.writeHead(404).end('Not Found');
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/`;
  toolCache = await tempDir('tool-cache-');
  backup = await seedBackup();
});

function killStarted(): void {
  for (const pid of started.splice(0)) kill(pid);
}
let unlock: (() => Promise<void>) | undefined;
beforeEach(async () => {
  unlock = await lockPort6333();
});
afterEach(async () => {
  await unlock?.();
});
// Hooks run in reverse: servers a failed test left behind are killed before the lock is released.
afterEach(killStarted);
afterAll(async () => {
  killStarted();
  await new Promise((resolve) => mirror?.close(resolve));
  await removeTempDirs();
});

function inputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    mode: 'restore',
    artifact: 'false',
    path: backup,
    start: 'binary',
    'api-key': API_KEY,
    'qdrant-version': 'v1.18.3',
    'download-base-url': baseUrl,
    'start-timeout': '30',
    ...extra,
  };
}

async function main(extra: Record<string, string> = {}): Promise<ActionRun> {
  const run = await runAction(inputs(extra), {
    env: { RUNNER_TOOL_CACHE: toolCache, ACTIONS_RUNTIME_TOKEN: 'runtime-token', GITHUB_TOKEN: 'gh-token' },
  });
  if (run.state['qdrant-pid']) started.push(Number(run.state['qdrant-pid']));
  return run;
}

function post(run: ActionRun, extraState: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({ 'api-key': API_KEY }, { entry: POST, state: { ...run.state, ...extraState } });
}

/** The QDRANT__* variables the fake qdrant saw. */
async function serverEnv(run: ActionRun): Promise<Record<string, string>> {
  const text = await readFile(path.join(path.dirname(run.state['qdrant-log']!), 'qdrant-env.txt'), 'utf8');
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('start: binary', () => {
  it('downloads, extracts and caches the release, runs it under RUNNER_TEMP, restores into it; the post step stops it', async () => {
    const run = await main();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(requests).toEqual([`/v1.18.3/${ASSET}`]);
    expect(existsSync(path.join(toolCache, 'qdrant', '1.18.3', process.arch, 'qdrant'))).toBe(true);

    const url = new URL(run.outputs.url!);
    expect(url.hostname).toBe('127.0.0.1');
    expect(run.outputs.collections).toBe('["products"]');
    expect(run.outputs.verified).toBe('true');
    expect((await getJson(run.outputs.url!, '/collections/products')).status).toBe(401);
    expect((await getJson(run.outputs.url!, '/collections/products', API_KEY)).status).toBe(200);

    const pid = Number(run.state['qdrant-pid']);
    expect(alive(pid)).toBe(true);
    expect(run.state['qdrant-server']).toBe('binary');
    expect(run.state['qdrant-pid-marker']).toMatch(/^\d+$/);
    const log = run.state['qdrant-log']!;
    expect(await readFile(log, 'utf8')).toContain(`fake qdrant: starting on port ${url.port}`);

    const env = await serverEnv(run);
    const root = path.dirname(log);
    expect(path.dirname(root)).toMatch(/runner-temp$/);
    expect(env).toEqual({
      QDRANT__SERVICE__API_KEY: API_KEY,
      QDRANT__SERVICE__GRPC_PORT: expect.stringMatching(/^\d+$/),
      QDRANT__SERVICE__HOST: '127.0.0.1',
      QDRANT__SERVICE__HTTP_PORT: url.port,
      QDRANT__STORAGE__SNAPSHOTS_PATH: path.join(root, 'snapshots'),
      QDRANT__STORAGE__STORAGE_PATH: path.join(root, 'storage'),
      QDRANT__TELEMETRY_DISABLED: 'true',
    });
    expect(env.QDRANT__SERVICE__GRPC_PORT).not.toBe(url.port);
    // Step inputs (the key, tokens) and runner tokens stay out of the server's environment.
    expect(await readFile(path.join(root, 'leaked-env.txt'), 'utf8')).toBe('');

    const stopped = await post(run);
    expect(stopped.code, stopped.stdout + stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain(`Stopped Qdrant (pid ${pid}).`);
    expect(stopped.stdout).not.toContain('Qdrant server log');
    expect(alive(pid)).toBe(false);
  });

  it('a second run on the same runner takes the binary from the tool cache: no download', async () => {
    const count = requests.length;
    const run = await main();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(requests.length).toBe(count);
    expect(run.stdout).toContain('Using Qdrant v1.18.3 from the tool cache');
    expect((await post(run)).code).toBe(0);
    expect(alive(Number(run.state['qdrant-pid']))).toBe(false);
  });

  it('picks a free port when 6333 is taken', async () => {
    const blocker = await occupyWhenFree(6333);
    try {
      const run = await main();
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const port = new URL(run.outputs.url!).port;
      expect(port).not.toBe('6333');
      expect((await serverEnv(run)).QDRANT__SERVICE__HTTP_PORT).toBe(port);
      expect((await post(run)).code).toBe(0);
    } finally {
      await close(blocker);
    }
  });

  it('a server that never becomes ready fails within start-timeout, showing the last 50 lines of its log', async () => {
    const begin = Date.now();
    const run = await main({ 'qdrant-version': '1.0.1', 'start-timeout': '2' });
    const elapsed = Date.now() - begin;
    expect(run.code).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeLessThan(15_000);
    const [error] = run.errors;
    expect(error).toContain('/readyz within 2 s (start-timeout');
    expect(error).toContain('Last 50 lines of its log:');
    expect(error).toContain('line 11\n');
    expect(error).toContain('line 60');
    expect(error).not.toContain('line 10\n');

    const pid = Number(run.state['qdrant-pid']);
    expect(alive(pid)).toBe(true);
    const stopped = await post(run, { 'main-failed': 'true' });
    expect(stopped.stdout).toContain('::group::Qdrant server log (last 200 lines)');
    expect(stopped.stdout).toContain('fake qdrant: still loading, line 1\n');
    expect(stopped.stdout).toContain(`Stopped Qdrant (pid ${pid}).`);
    expect(alive(pid)).toBe(false);
  });

  it('a server that exits at once fails without waiting for start-timeout, with its log', async () => {
    const begin = Date.now();
    const run = await main({ 'qdrant-version': '1.0.2', 'start-timeout': '60' });
    expect(run.code).toBe(1);
    expect(Date.now() - begin).toBeLessThan(15_000);
    expect(run.errors[0]).toContain('stopped before it was ready: it exited with code 3');
    expect(run.errors[0]).toContain('Panic: cannot open storage: permission denied');
    const stopped = await post(run);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('had already exited');
  });

  it('a release the mirror does not have fails naming the URL and qdrant-version', async () => {
    const run = await main({ 'qdrant-version': '1.0.9' });
    expect(run.code).toBe(1);
    expect(run.errors[0]).toContain(`Downloading Qdrant v1.0.9 from ${baseUrl}v1.0.9/${ASSET} failed`);
    expect(run.errors[0]).toContain('Check that qdrant-version names a published release');
    expect(run.state['qdrant-server']).toBeUndefined();
  });

  it.skipIf(!REAL_QDRANT)('runs a real Qdrant binary (QDRANT_BINARY) and stops it', async () => {
    noteTarget('real-node');
    const run = await main({ mode: 'backup', 'qdrant-version': '1.99.0', 'start-timeout': '120' });
    // An empty server has nothing to back up: the step fails after the server answered, with the key.
    expect(run.errors[0], run.stdout + run.stderr).toContain(`No collections found at ${run.outputs.url}`);
    const root = await getJson(run.outputs.url!, '/', API_KEY);
    expect(root.status).toBe(200);
    expect((await getJson(run.outputs.url!, '/collections')).status).toBe(401);
    const pid = Number(run.state['qdrant-pid']);
    const stopped = await post(run, { 'main-failed': 'true' });
    expect(stopped.stdout).toContain('::group::Qdrant server log (last 200 lines)');
    expect(stopped.stdout).toContain(`Stopped Qdrant (pid ${pid}).`);
    expect(alive(pid)).toBe(false);
  });

  it('the post step leaves alone a pid that is no longer the process it started', async () => {
    const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const pid = stranger.pid!;
      const stopped = await runAction(
        {},
        {
          entry: POST,
          state: { 'qdrant-server': 'binary', 'qdrant-pid': String(pid), 'qdrant-pid-marker': '1' },
        },
      );
      expect(stopped.code).toBe(0);
      expect(stopped.stdout).toContain(`Left pid ${pid} alone`);
      expect(alive(pid)).toBe(true);
    } finally {
      stranger.kill('SIGKILL');
    }
  });
});
