// Starts a real Qdrant (the executable in $QDRANT_BINARY) on free ports with storage of its own, for tests
// and benchmarks. Shared by test/ and bench/, hence plain JavaScript.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** @returns {Promise<number>} a port nobody listens on right now */
async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * @typedef {{ url: string, dir: string, pid: number, stop(): Promise<void> }} RealQdrant
 * @param {string} binary the `qdrant` executable
 * @param {{ dir?: string }} [options] `dir`: storage to reuse, kept on stop (default: a temp dir, removed)
 * @returns {Promise<RealQdrant>}
 */
export async function startRealQdrant(binary, options = {}) {
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'real-qdrant-')));
  await mkdir(path.join(dir, 'storage'), { recursive: true });
  await mkdir(path.join(dir, 'snapshots'), { recursive: true });
  const removeDir = () => (options.dir ? Promise.resolve() : rm(dir, { recursive: true, force: true }));
  for (let attempt = 1; ; attempt++) {
    const [http, grpc] = [await freePort(), await freePort()];
    const child = spawn(binary, [], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        QDRANT__SERVICE__HTTP_PORT: String(http),
        QDRANT__SERVICE__GRPC_PORT: String(grpc),
        QDRANT__SERVICE__HOST: '127.0.0.1',
        QDRANT__STORAGE__STORAGE_PATH: path.join(dir, 'storage'),
        QDRANT__STORAGE__SNAPSHOTS_PATH: path.join(dir, 'snapshots'),
        QDRANT__TELEMETRY_DISABLED: 'true',
      },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
    const url = `http://127.0.0.1:${http}`;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(10_000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      await removeDir();
    };
    for (let i = 0; i < 300 && child.exitCode === null; i++) {
      const ready = await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return { url, dir, pid: /** @type {number} */ (child.pid), stop };
      await sleep(100);
    }
    child.kill('SIGKILL');
    await exited;
    // Another process may have taken a port between the check and the start: try other ports once more.
    if (attempt >= 3) {
      await removeDir();
      throw new Error(`Qdrant (${binary}) did not become ready: ${stderr}`);
    }
  }
}
