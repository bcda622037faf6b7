// versitygw for the S3 benchmark, in a process of its own (same lookup as test/helpers/s3-server.ts:
// VERSITYGW_BINARY, else ../shared/s3/versitygw-v1.8.0-linux-amd64.tar.xz unpacked into the temp folder).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from './services.mjs';

const VERSION = 'v1.8.0';

/** The versitygw binary, or undefined. */
export function findVersitygw() {
  if (process.env.VERSITYGW_BINARY) return process.env.VERSITYGW_BINARY;
  const archive = path.resolve(ROOT, `../shared/s3/versitygw-${VERSION}-linux-amd64.tar.xz`);
  const cache = path.join(os.tmpdir(), `qdrant-snapshot-versitygw-${VERSION}`);
  const binary = path.join(cache, 'versitygw');
  if (existsSync(binary)) return binary;
  if (!existsSync(archive)) return undefined;
  const staging = mkdtempSync(`${cache}-unpack-`);
  execFileSync('tar', ['-xJf', archive, '-C', staging]);
  try {
    renameSync(staging, cache);
  } catch {
    rmSync(staging, { recursive: true, force: true });
  }
  return existsSync(binary) ? binary : undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts versitygw (posix backend in dataDir) on a free port; returns its endpoint and a stop function. */
export async function startVersitygw(binary, dataDir, { access, secret }) {
  const port = await freePort();
  const child = spawn(
    binary,
    ['--access', access, '--secret', secret, '--port', `127.0.0.1:${port}`, '--quiet', 'posix', dataDir],
    {
      stdio: 'ignore',
    },
  );
  const deadline = Date.now() + 15_000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('versitygw did not start');
    await sleep(50);
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    },
  };
}
