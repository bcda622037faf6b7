// The servers the benchmarks talk to, each in a process of its own: the Qdrant REST emulator
// (emulator-process.mjs) and the local artifact service (test/artifact-service/cli.js).
import { fork, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Starts the emulator in a child process.
 * @param {string} dataDir
 * @param {{ snapshotDelayMs?: number }} [options]
 */
export async function startEmulatorProcess(dataDir, options = {}) {
  await mkdir(dataDir, { recursive: true });
  const child = fork(
    path.join(ROOT, 'bench/lib/emulator-process.mjs'),
    [dataDir, String(options.snapshotDelayMs ?? 0)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const pending = new Map();
  let nextId = 1;
  const url = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the emulator process exited with ${code}`)));
    child.on('message', (message) => {
      if (message.op === 'ready') return resolve(message.url);
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(message.error));
    });
  });
  child.removeAllListeners('exit');
  child.on('exit', (code, signal) => {
    for (const waiter of pending.values())
      waiter.reject(new Error(`the emulator process exited (${code ?? signal})`));
    pending.clear();
  });
  const call = (message) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ ...message, id });
    });

  /** A Qdrant REST call; returns `result` of the envelope. */
  async function rest(method, route, body) {
    const response = await fetch(url + route, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`${method} ${route} answered ${response.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text).result;
  }

  return {
    url,
    pid: child.pid,
    rest,
    /** Backs collection `name` by a pre-made snapshot file (linked, never loaded). */
    addFromSnapshot: (name, file, sha256) => call({ op: 'addFromSnapshot', name, file, sha256 }),
    snapshotFiles: (collection) => call({ op: 'snapshotFiles', collection }),
    /** Deletes every snapshot file of the collection on the server (uploaded leftovers included). */
    async clearSnapshots(collection) {
      for (const name of await call({ op: 'snapshotFiles', collection }))
        await rest(
          'DELETE',
          `/collections/${encodeURIComponent(collection)}/snapshots/${encodeURIComponent(name)}`,
        );
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Starts the local artifact service as a process.
 * @param {string} dataDir
 */
export async function startArtifactProcess(dataDir) {
  await mkdir(dataDir, { recursive: true });
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'test/artifact-service/cli.js'), '--port', '0', '--data', dataDir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise((resolve, reject) => {
    let buffered = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the artifact service exited with ${code}`)));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline >= 0) resolve(buffered.slice(0, newline).trim());
    });
  });
  child.removeAllListeners('exit');
  const admin = async (method, route, body) => {
    const response = await fetch(url + route, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}`);
    return response.json();
  };
  return {
    url,
    /** Environment of a job of run `runId` (ACTIONS_RUNTIME_TOKEN, ACTIONS_RESULTS_URL, ...). */
    env: (runId) => admin('POST', '/_admin/env', { runId }),
    artifacts: () => admin('GET', '/_admin/artifacts'),
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
