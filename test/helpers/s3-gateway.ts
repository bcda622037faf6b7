// A real S3-compatible server (versitygw, posix backend) for tests that need one, e.g. a Qdrant that
// keeps its snapshots in S3. Found through VERSITYGW_BINARY; each gateway gets a free port and a
// folder of its own, and stop() leaves no process behind.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processExists } from './qdrant-process.js';

export const VERSITYGW_BINARY = process.env.VERSITYGW_BINARY || undefined;

export interface S3Gateway {
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
  /** A bucket that exists (a folder of the posix backend). */
  bucket: string;
  pid: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

export async function startS3Gateway(binary = VERSITYGW_BINARY): Promise<S3Gateway> {
  if (!binary) throw new Error('No S3 gateway: set VERSITYGW_BINARY to the path of a versitygw executable.');
  const dir = await mkdtemp(path.join(os.tmpdir(), 's3gw-'));
  const bucket = 'snapshots';
  await mkdir(path.join(dir, 'data', bucket), { recursive: true });
  const port = await freePort();
  const accessKey = 'test-access-key';
  const secretKey = 'test-secret-key-0123456789';
  const child = spawn(
    binary,
    [
      '--access',
      accessKey,
      '--secret',
      secretKey,
      '--port',
      `127.0.0.1:${port}`,
      'posix',
      path.join(dir, 'data'),
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if ((await Promise.race([exited.then(() => 'gone'), sleep(5_000)])) !== 'gone') {
        child.kill('SIGKILL');
        await exited;
      }
    }
    if (child.pid && processExists(child.pid))
      throw new Error(`versitygw (pid ${child.pid}) is still running`);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`versitygw did not start listening on 127.0.0.1:${port}`);
    }
    await sleep(50);
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    accessKey,
    secretKey,
    bucket,
    pid: child.pid ?? -1,
    stop,
  };
}

/** The QDRANT__* settings that make a node keep its snapshots in this gateway's bucket. */
export function qdrantS3Env(gateway: S3Gateway): Record<string, string> {
  const prefix = 'QDRANT__STORAGE__SNAPSHOTS_CONFIG__';
  return {
    [`${prefix}SNAPSHOTS_STORAGE`]: 's3',
    [`${prefix}S3_CONFIG__BUCKET`]: gateway.bucket,
    [`${prefix}S3_CONFIG__REGION`]: gateway.region,
    [`${prefix}S3_CONFIG__ACCESS_KEY`]: gateway.accessKey,
    [`${prefix}S3_CONFIG__SECRET_KEY`]: gateway.secretKey,
    [`${prefix}S3_CONFIG__ENDPOINT_URL`]: gateway.endpoint,
  };
}
