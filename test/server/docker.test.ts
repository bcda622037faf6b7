// start: docker end to end: the bundled main and post steps against a docker stand-in (fake-docker.mjs)
// whose `run` starts the Qdrant emulator on the published port.
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAction, type ActionRun } from '../helpers/run-action.js';
import { bundled } from '../helpers/bundles.js';
import {
  alive,
  close,
  fakeDocker,
  getJson,
  kill,
  lockPort6333,
  occupyWhenFree,
  removeTempDirs,
  seedBackup,
  tempDir,
  type FakeDocker,
} from './helpers.js';

const API_KEY = 'docker-test-key-9f8e7d6c5b4a';
const POST = bundled('post');

let docker: FakeDocker;
let backup: string;
const standIns: FakeDocker[] = [];

beforeAll(async () => {
  docker = await fakeDocker();
  standIns.push(docker);
  backup = await seedBackup();
});

async function killAll(): Promise<void> {
  for (const standIn of standIns) for (const pid of await standIn.pids()) kill(pid);
}
let unlock: (() => Promise<void>) | undefined;
beforeEach(async () => {
  unlock = await lockPort6333();
});
afterEach(async () => {
  await unlock?.();
});
// Hooks run in reverse: servers a failed test left behind are killed before the lock is released.
afterEach(killAll);
afterAll(async () => {
  await killAll();
  await removeTempDirs();
});

/** What the runner would show: ::add-mask:: lines are consumed by the runner, never printed. */
function shown(run: ActionRun): string {
  return `${run.stdout}${run.stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
}

function env(bin = docker.bin): Record<string, string> {
  return { PATH: `${bin}${path.delimiter}${process.env.PATH}`, GITHUB_RUN_ID: '4242' };
}

function restoreInputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    mode: 'restore',
    artifact: 'false',
    path: backup,
    start: 'docker',
    'api-key': API_KEY,
    'qdrant-version': 'v1.18.3',
    'start-timeout': '30',
    ...extra,
  };
}

function post(
  run: ActionRun,
  extraState: Record<string, string> = {},
  extraEnv: Record<string, string> = {},
) {
  return runAction(
    { 'api-key': API_KEY },
    { entry: POST, env: { ...env(), ...extraEnv }, state: { ...run.state, ...extraState } },
  );
}

function runCalls(calls: { args: string[] }[]): string[][] {
  return calls.filter((c) => c.args[0] === 'run').map((c) => c.args);
}

describe('start: docker', () => {
  it('runs qdrant/qdrant on 127.0.0.1 with the key passed by name, restores into it, and the post step removes it', async () => {
    const before = (await docker.calls()).length;
    const run = await runAction(restoreInputs(), { env: env() });
    expect(run.code, run.stdout + run.stderr).toBe(0);

    const url = new URL(run.outputs.url!);
    expect(url.hostname).toBe('127.0.0.1');
    const calls = (await docker.calls()).slice(before);
    expect(calls.slice(0, 2).map((c) => c.args[0])).toEqual(['version', 'run']);
    expect(calls.slice(2).every((c) => c.args[0] === 'inspect')).toBe(true);
    const [runArgs] = runCalls(calls);
    expect(runArgs).toEqual([
      'run',
      '-d',
      '--name',
      expect.stringMatching(/^qdrant-snapshot-4242-[0-9a-f]{8}$/),
      '-p',
      `127.0.0.1:${url.port}:6333`,
      '-e',
      'QDRANT__TELEMETRY_DISABLED=true',
      '-e',
      'QDRANT__SERVICE__API_KEY',
      'qdrant/qdrant:v1.18.3',
    ]);
    // The key reaches docker through its environment only: never in an argument or the log.
    expect(calls.find((c) => c.args[0] === 'run')!.apiKey).toBe(API_KEY);
    for (const call of calls) expect(call.args.join(' ')).not.toContain(API_KEY);
    expect(shown(run)).not.toContain(API_KEY);

    expect(run.outputs.collections).toBe('["products"]');
    expect(run.outputs.points).toBe('3');
    expect(run.outputs.verified).toBe('true');
    expect((await getJson(run.outputs.url!, '/collections/products')).status).toBe(401);
    expect((await getJson(run.outputs.url!, '/collections/products', API_KEY)).status).toBe(200);

    const id = run.state['qdrant-docker-container']!;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(run.state['qdrant-server']).toBe('docker');
    expect(run.state['qdrant-docker-name']).toBe(runArgs![3]);
    const [pid] = await docker.pids();
    expect(alive(pid!)).toBe(true);

    const stopped = await post(run);
    expect(stopped.code, stopped.stdout + stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain(`Removed the Qdrant container ${id}.`);
    expect(stopped.stdout).not.toContain('Qdrant server log');
    expect(shown(stopped)).not.toContain(API_KEY);
    expect((await docker.calls()).at(-1)!.args).toEqual(['rm', '-f', '-v', id]);
    expect(alive(pid!)).toBe(false);
    expect(await docker.pids()).toEqual([]);
  });

  it('the post step prints the last 200 lines of the container log when the main step failed, or on request', async () => {
    // Backing up an empty server fails ("No collections found") after the container started.
    const run = await runAction({ mode: 'backup', artifact: 'false', start: 'docker' }, { env: env() });
    expect(run.code).toBe(1);
    expect(run.errors[0]).toContain(`No collections found at ${run.outputs.url}`);
    const id = run.state['qdrant-docker-container']!;

    const failed = await post(run, { 'main-failed': 'true' });
    expect(failed.code, failed.stderr).toBe(0);
    expect(failed.stdout).toContain('::group::Qdrant server log (last 200 lines)');
    expect(failed.stdout).toContain(run.outputs.url!); // the emulator's first log line
    expect((await docker.calls()).map((c) => c.args.join(' '))).toContain(`logs --tail 200 ${id}`);
    expect(failed.stdout).toContain(`Removed the Qdrant container ${id}.`);

    const again = await runAction({ mode: 'backup', artifact: 'false', start: 'docker' }, { env: env() });
    const requested = await post(again, {}, { QDRANT_SNAPSHOT_SHOW_LOG: 'true' });
    expect(requested.stdout).toContain('::group::Qdrant server log (last 200 lines)');
    expect(await docker.pids()).toEqual([]);
  });

  it('publishes a free port when 6333 is taken', async () => {
    const blocker = await occupyWhenFree(6333);
    try {
      const run = await runAction(restoreInputs(), { env: env() });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const port = new URL(run.outputs.url!).port;
      expect(port).not.toBe('6333');
      expect(runCalls(await docker.calls()).at(-1)).toContain(`127.0.0.1:${port}:6333`);
      expect((await post(run)).code).toBe(0);
    } finally {
      await close(blocker);
    }
  });

  it('retries on another port and name when docker reports the port already allocated, removing the created container', async () => {
    const before = (await docker.calls()).length;
    await docker.set('port-taken');
    const run = await runAction(restoreInputs(), { env: env() });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const calls = (await docker.calls()).slice(before).map((c) => c.args);
    const [first, second] = runCalls(calls.map((args) => ({ args })));
    expect(first![3]).not.toBe(second![3]);
    expect(calls).toContainEqual(['rm', '-f', '-v', first![3]]);
    expect(run.state['qdrant-docker-name']).toBe(second![3]);
    expect((await post(run)).code).toBe(0);
    expect(await docker.pids()).toEqual([]);
  });

  it('a container that exits before it is ready fails without waiting for start-timeout, with its log', async () => {
    await docker.set('crash');
    const begin = Date.now();
    const run = await runAction(restoreInputs({ 'start-timeout': '60' }), { env: env() });
    expect(run.code).toBe(1);
    expect(Date.now() - begin).toBeLessThan(15_000);
    expect(run.errors[0]).toContain('stopped before it was ready: the container exited with code 101');
    expect(run.errors[0]).toContain('Panic: failed to load storage: wrong format');
    const stopped = await post(run);
    expect(stopped.stdout).toContain(`Removed the Qdrant container ${run.state['qdrant-docker-container']}.`);
  });

  it('fails with a clear message when the image tag does not exist', async () => {
    const run = await runAction(restoreInputs({ 'qdrant-version': '9.9.9' }), { env: env() });
    expect(run.code).toBe(1);
    expect(run.errors[0]).toContain("'docker run' of qdrant/qdrant:v9.9.9 failed");
    expect(run.errors[0]).toContain('manifest for qdrant/qdrant:v9.9.9 not found');
    expect(run.errors[0]).toContain('Check that qdrant-version names a published qdrant/qdrant tag');
  });

  it('without docker on PATH, fails suggesting start: binary', async () => {
    const empty = await tempDir('no-docker-');
    const run = await runAction(restoreInputs(), { env: { PATH: empty } });
    expect(run.code).toBe(1);
    expect(run.errors[0]).toContain("no 'docker' command on this runner's PATH");
    expect(run.errors[0]).toContain('Use start: binary');
    expect(run.state['qdrant-server']).toBeUndefined();
    // Nothing started, so the post step has nothing to do.
    const stopped = await runAction({}, { entry: POST, env: { PATH: empty }, state: run.state });
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toBe('');
  });

  it('with docker but no engine, fails saying so and suggesting start: binary', async () => {
    const noEngine = await fakeDocker();
    standIns.push(noEngine);
    await noEngine.set('no-engine');
    const run = await runAction(restoreInputs(), { env: env(noEngine.bin) });
    expect(run.code).toBe(1);
    expect(run.errors[0]).toContain("'docker version' failed (Cannot connect to the Docker daemon");
    expect(run.errors[0]).toContain('or use start: binary, which needs no Docker');
    expect((await noEngine.calls()).map((c) => c.args[0])).toEqual(['version']);
  });
});
