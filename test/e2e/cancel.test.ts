import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { bundled } from '../helpers/bundles.js';
import { parseCommandFile, runAction } from '../helpers/run-action.js';
import { seedCollections, startTarget, type Target } from '../helpers/target.js';

// Faults (slow creation, slow download) need the emulator.
let target: Target;
let seeded: Awaited<ReturnType<typeof seedCollections>>;
let out: string;

beforeEach(async () => {
  target = await startTarget({ emulator: true });
  seeded = await seedCollections(target);
  out = await mkdtemp(path.join(os.tmpdir(), 'cancel-'));
});

afterEach(() => target.close());

/** Every file under `dir`, recursively, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** Starts `qdrant-snapshot backup` and sends `signal` once `ready()` holds; resolves with the outcome. */
async function backupInterrupted(signal: NodeJS.Signals, ready: () => Promise<boolean>) {
  const child = spawn(
    process.execPath,
    [bundled('cli'), 'backup', '--out', out, '--concurrency', '1', '--collections', `${target.prefix}*`],
    { env: { PATH: process.env.PATH ?? '', HOME: out, QDRANT_URL: target.url } },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const deadline = Date.now() + 20_000;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`never ready; stderr: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const sent = Date.now();
  child.kill(signal);
  const code = await closed;
  return { code, stderr, stoppedInMs: Date.now() - sent };
}

const collections = () => Object.values(seeded.names);
const serverSnapshots = () => collections().flatMap((c) => target.snapshotFiles!(c));

describe('cancelling qdrant-snapshot backup', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s during snapshot creation: stops, deletes the snapshot that lands afterwards, leaves no partial file',
    async (signal) => {
      target.emulator!.inject({ route: 'snapshot.create', createDelayMs: 2_000 });
      const creating = () =>
        Promise.resolve(
          target.emulator!.requests.some((r) => r.method === 'POST' && r.path.endsWith('/snapshots')),
        );
      const run = await backupInterrupted(signal, creating);
      expect(run.code).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(run.stoppedInMs).toBeLessThan(10_000);
      expect(run.stderr).toContain('Cancelled');
      // The creation sent before the signal completes on the server 2 s later: it must be gone.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(serverSnapshots()).toEqual([]);
      expect((await filesUnder(out)).filter((f) => f.endsWith('.partial'))).toEqual([]);
    },
    60_000,
  );

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s during a download: the finished collections are kept under an incomplete manifest, nothing else',
    async (signal) => {
      const { hybrid, aliased, dense } = seeded.names;
      target.emulator!.inject({ route: 'snapshot.download', collection: hybrid, throttleBytesPerSec: 4096 });
      const downloading = async () =>
        (await filesUnder(out)).some((f) => f.endsWith('.partial') && f.includes('hybrid'));
      const run = await backupInterrupted(signal, downloading);
      expect(run.code).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(run.stoppedInMs).toBeLessThan(10_000);
      expect(serverSnapshots()).toEqual([]);
      const files = await filesUnder(out);
      expect(files.filter((f) => f.endsWith('.partial'))).toEqual([]);
      const manifestFile = files.find((f) => f.endsWith('manifest.json'))!;
      const manifest = JSON.parse(await readFile(path.join(out, manifestFile), 'utf8'));
      expect(manifest.complete).toBe(false);
      expect(manifest.collections.map((c: { name: string }) => c.name).sort()).toEqual([aliased, dense]);
      expect(manifest.failed).toEqual([{ name: hybrid, error: 'cancelled' }]);
      expect(run.stderr).toContain(`Kept in`);
      expect(run.stderr).toContain(`${aliased}, ${dense}`);
    },
    60_000,
  );
});

/** Starts the action's main step (mode: backup, artifact: false) and signals it once `ready()` holds. */
async function actionInterrupted(signal: NodeJS.Signals, ready: () => Promise<boolean>) {
  const stateFile = path.join(out, 'github-state');
  await writeFile(stateFile, '');
  const inputs: Record<string, string> = {
    mode: 'backup',
    url: target.url,
    collections: `${target.prefix}*`,
    concurrency: '1',
    artifact: 'false',
    path: path.join(out, 'backup'),
  };
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: out, GITHUB_STATE: stateFile };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const child = spawn(process.execPath, [bundled('main')], { env, cwd: out });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const deadline = Date.now() + 20_000;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`never ready; stdout: ${stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const sent = Date.now();
  child.kill(signal);
  const code = await closed;
  const state = parseCommandFile(await readFile(stateFile, 'utf8'));
  return { code, stdout, state, inputs, stoppedInMs: Date.now() - sent };
}

describe('cancelling the action (main step, then its post step with the saved state)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s during a creation that lands after the main step gave up: the post step deletes it',
    async (signal) => {
      // Longer than the main step waits for a cancelled creation to land (5 s).
      target.emulator!.inject({ route: 'snapshot.create', createDelayMs: 7_000 });
      const creating = () =>
        Promise.resolve(
          target.emulator!.requests.some((r) => r.method === 'POST' && r.path.endsWith('/snapshots')),
        );
      const main = await actionInterrupted(signal, creating);
      expect(main.code).not.toBe(0);
      expect(main.stoppedInMs).toBeLessThan(10_000);
      expect(main.stdout).toContain('::error::Cancelled');
      const saved = JSON.parse(main.state['server-snapshots']!);
      expect(saved.creating).toHaveLength(1);
      const post = await runAction(main.inputs, { entry: bundled('post'), state: main.state });
      expect(post.code).toBe(0);
      expect(post.stdout).toContain('created after the cancellation');
      expect(serverSnapshots()).toEqual([]);
      expect((await filesUnder(out)).filter((f) => f.endsWith('.partial'))).toEqual([]);
    },
    60_000,
  );

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s during a download: the main step deletes its snapshot, the post step finds nothing left',
    async (signal) => {
      const { hybrid } = seeded.names;
      target.emulator!.inject({ route: 'snapshot.download', collection: hybrid, throttleBytesPerSec: 4096 });
      const downloading = async () =>
        (await filesUnder(out)).some((f) => f.endsWith('.partial') && f.includes('hybrid'));
      const main = await actionInterrupted(signal, downloading);
      expect(main.code).not.toBe(0);
      expect(main.stoppedInMs).toBeLessThan(10_000);
      expect(serverSnapshots()).toEqual([]);
      expect(JSON.parse(main.state['server-snapshots']!)).toMatchObject({ created: [], creating: [] });
      const post = await runAction(main.inputs, { entry: bundled('post'), state: main.state });
      expect(post.code).toBe(0);
      expect(serverSnapshots()).toEqual([]);
      expect((await filesUnder(out)).filter((f) => f.endsWith('.partial'))).toEqual([]);
    },
    60_000,
  );
});

describe('cancelling a restore during the upload', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s: the CLI and the action stop, no uploaded copy or snapshot stays on the server, no partial file',
    async (signal) => {
      const { hybrid } = seeded.names;
      const backup = spawn(
        process.execPath,
        [bundled('cli'), 'backup', '--out', out, '--collections', hybrid],
        { env: { PATH: process.env.PATH ?? '', HOME: out, QDRANT_URL: target.url } },
      );
      expect(await new Promise((resolve) => backup.on('close', resolve))).toBe(0);
      const [folder] = (await readdir(out)).filter((f) => f.startsWith('qdrant-snapshots-'));
      target.emulator!.inject({ route: 'snapshot.upload', throttleBytesPerSec: 2048, times: 10 });
      const uploads = () => target.emulator!.requests.filter((r) => r.path.endsWith('/snapshots/upload'));

      for (const [i, how] of ['cli', 'action'].entries()) {
        const copy = `${target.prefix}copy${i}`;
        const started = uploads().length;
        const child =
          how === 'cli'
            ? spawn(
                process.execPath,
                [bundled('cli'), 'restore', path.join(out, folder!), '--rename', `${hybrid}=${copy}`],
                { env: { PATH: process.env.PATH ?? '', HOME: out, QDRANT_URL: target.url } },
              )
            : spawn(process.execPath, [bundled('main')], {
                cwd: out,
                env: {
                  PATH: process.env.PATH ?? '',
                  HOME: out,
                  INPUT_MODE: 'restore',
                  INPUT_URL: target.url,
                  INPUT_ARTIFACT: 'false',
                  INPUT_PATH: path.join(out, folder!),
                  INPUT_RENAME: `${hybrid}=${copy}`,
                },
              });
        const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
        const deadline = Date.now() + 20_000;
        while (uploads().length === started) {
          if (Date.now() > deadline) throw new Error(`${how}: no upload started`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await new Promise((resolve) => setTimeout(resolve, 300));
        const sent = Date.now();
        child.kill(signal);
        const code = await closed;
        expect(code, how).not.toBe(0);
        expect(Date.now() - sent, how).toBeLessThan(10_000);
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(target.snapshotFiles!(copy), how).toEqual([]);
        expect(serverSnapshots(), how).toEqual([]);
        expect(
          (await filesUnder(out)).filter((f) => f.endsWith('.partial')),
          how,
        ).toEqual([]);
      }
    },
    60_000,
  );
});
