// Shared pieces of the start-or-connect tests: the docker stand-in, a seeded backup folder to restore,
// process checks and port occupation.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { startEmulator } from '../emulator/index.js';
import { call } from '../emulator/helpers.js';
import { ROOT } from '../helpers/run-action.js';
import { bundled } from '../helpers/bundles.js';

export const EMULATOR_CLI = path.join(ROOT, 'test/emulator/cli.js');

const created: string[] = [];

/** A new temp dir, removed by removeTempDirs. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export interface DockerCall {
  args: string[];
  apiKey: string | null;
}

export interface FakeDocker {
  /** The directory holding the `docker` launcher: put it first on PATH. */
  bin: string;
  calls(): Promise<DockerCall[]>;
  /** Creates a switch file (`no-engine`, `port-taken`, `crash`) the stand-in reads. */
  set(flag: 'no-engine' | 'port-taken' | 'crash'): Promise<void>;
  /** Pids of the emulators the stand-in started that are still running. */
  pids(): Promise<number[]>;
}

/** Writes the docker stand-in (test/server/fake-docker.mjs behind a `docker` launcher) into a temp dir. */
export async function fakeDocker(): Promise<FakeDocker> {
  const bin = await tempDir('fake-docker-');
  const script = pathToFileURL(path.join(ROOT, 'test/server/fake-docker.mjs')).href;
  await writeFile(
    path.join(bin, 'docker'),
    `#!/usr/bin/env node\nprocess.env.FAKE_DOCKER_DIR = ${JSON.stringify(bin)};\nimport(${JSON.stringify(script)});\n`,
  );
  await chmod(path.join(bin, 'docker'), 0o755);
  return {
    bin,
    calls: async () =>
      (await readFile(path.join(bin, 'calls.jsonl'), 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as DockerCall),
    set: (flag) => writeFile(path.join(bin, flag), ''),
    pids: async () => {
      const dir = path.join(bin, 'containers');
      const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.json'));
      return files
        .map((f) => (JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { pid?: number }).pid)
        .filter((pid): pid is number => typeof pid === 'number' && alive(pid));
    },
  };
}

/** True while the process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

export function kill(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {}
  }
}

/** Listens on 127.0.0.1:port so nothing else can; resolves to undefined when something already does. */
export function occupy(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

export function close(server: net.Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

/** One GET on a started server, with the key; the parsed JSON body. */
export async function getJson(
  url: string,
  route: string,
  apiKey?: string,
): Promise<{ status: number; json: unknown }> {
  const result = await call(url, 'GET', route, { headers: apiKey ? { 'api-key': apiKey } : {} });
  return { status: result.status, json: result.json };
}

/**
 * A backup folder made by the bundled CLI from an emulator holding collection `products` (3 points): what
 * `mode: restore` with `artifact: false` restores into the started server.
 */
export async function seedBackup(): Promise<string> {
  const data = await tempDir('seed-qdrant-');
  const emulator = await startEmulator({ port: 0, dataDir: data });
  try {
    await emulator.createCollection('products', { vectors: { size: 4, distance: 'Dot' } });
    await emulator.upsertPoints(
      'products',
      [1, 2, 3].map((id) => ({ id, vector: [id, 0.5, 0.25, 0.125], payload: { sku: `p-${id}` } })),
    );
    const out = await tempDir('seed-backup-');
    await promisify(execFile)(process.execPath, [
      bundled('cli'),
      'backup',
      '--url',
      emulator.url,
      '--out',
      out,
    ]);
    const [folder] = await readdir(out);
    if (!folder) throw new Error(`the CLI wrote no backup folder into ${out}`);
    return path.join(out, folder);
  } finally {
    await emulator.close();
  }
}

/** Occupies 127.0.0.1:port, waiting (up to `waitMs`) while another test holds it. */
export async function occupyWhenFree(port: number, waitMs = 30_000): Promise<net.Server> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const server = await occupy(port);
    if (server) return server;
    if (Date.now() > deadline) throw new Error(`port ${port} stayed busy for ${waitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const PORT_LOCK = path.join(os.tmpdir(), 'qdrant-snapshot-action-tests-port-6333.lock');

/**
 * Serialises the tests that start a server across test files: each prefers port 6333, and two starting at
 * once can race between the free-port check and the bind (the loser's readiness probe would reach the
 * winner's server). Resolves to the release function. A lock older than two minutes is a crashed run's.
 */
export async function lockPort6333(): Promise<() => Promise<void>> {
  for (;;) {
    try {
      await mkdir(PORT_LOCK);
      return () => rm(PORT_LOCK, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(PORT_LOCK).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 120_000) await rm(PORT_LOCK, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
