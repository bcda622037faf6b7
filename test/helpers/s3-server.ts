// A real S3-compatible server for the storage tests: versitygw 1.8.0 (Apache-2.0) with its posix backend,
// started on a free loopback port and torn down afterwards. Found via VERSITYGW_BINARY, else unpacked from
// ../shared/s3/versitygw-v1.8.0-linux-amd64.tar.xz (beside the repository), else built with `go install`
// where Go exists (both cached in the temp folder); otherwise `versitygwMissing` says why the tests skip.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { S3Settings } from '../../src/storage/s3-client.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VERSION = 'v1.8.0';
const ARCHIVE = path.resolve(ROOT, `../shared/s3/versitygw-${VERSION}-linux-amd64.tar.xz`);
const CACHE = path.join(os.tmpdir(), `qdrant-snapshot-versitygw-${VERSION}`);

// Long enough that redaction applies (8+ characters) and a leak would be unmistakable in a message.
export const ACCESS_KEY = 'test-access-key-7f3a9c';
export const SECRET_KEY = 'test-secret-key-5be21d90e4';

async function unpackArchive(): Promise<string | undefined> {
  if (!existsSync(ARCHIVE)) return undefined;
  const binary = path.join(CACHE, 'versitygw');
  if (existsSync(binary)) return binary;
  await mkdir(path.dirname(CACHE), { recursive: true });
  // Unpacked beside the cache and renamed into place: parallel test files never see half a binary.
  const staging = await mkdtemp(`${CACHE}-unpack-`);
  await run('tar', ['-xJf', ARCHIVE, '-C', staging]);
  await rename(staging, CACHE).catch(() => rm(staging, { recursive: true, force: true }));
  return existsSync(binary) ? binary : undefined;
}

async function goInstall(): Promise<string | undefined> {
  const binary = path.join(CACHE, 'go-bin', 'versitygw');
  if (existsSync(binary)) return binary;
  try {
    await run('go', ['version']);
  } catch {
    return undefined;
  }
  await run('go', ['install', `github.com/versity/versitygw/cmd/versitygw@${VERSION}`], {
    env: { ...process.env, GOBIN: path.dirname(binary) },
    timeout: 15 * 60_000,
  });
  return existsSync(binary) ? binary : undefined;
}

/** The versitygw binary, or why there is none (then the S3 tests are skipped with that line). */
async function findVersitygw(): Promise<{ binary: string } | { missing: string }> {
  const given = process.env.VERSITYGW_BINARY;
  if (given) {
    return existsSync(given) ? { binary: given } : { missing: `VERSITYGW_BINARY=${given} does not exist` };
  }
  const unpacked = await unpackArchive();
  if (unpacked) return { binary: unpacked };
  try {
    const built = await goInstall();
    if (built) return { binary: built };
  } catch (error) {
    return { missing: `go install of versitygw ${VERSION} failed: ${(error as Error).message}` };
  }
  return {
    missing: `no versitygw: set VERSITYGW_BINARY, or provide ${ARCHIVE}, or install Go (go install github.com/versity/versitygw/cmd/versitygw@${VERSION})`,
  };
}

const found = await findVersitygw();
/** Why the S3 tests are skipped, or undefined when versitygw is here. */
export const versitygwMissing = 'missing' in found ? found.missing : undefined;
if (versitygwMissing) console.warn(`S3 storage tests skipped: ${versitygwMissing}`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// The SDK's warning that its releases after January 2027 need Node 22 (this pinned one runs on 20).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface S3TestServer {
  endpoint: string;
  port: number;
  /** The posix backend's folder: bucket B's object K is the file DATA/B/K. */
  dataDir: string;
  /** A bucket made for this server. */
  bucket: string;
  /** Settings for connectS3 with this server's endpoint and keys (credentials given explicitly). */
  settings(url: string, extra?: Partial<S3Settings>): S3Settings;
  /** A client for arranging and inspecting the bucket directly. */
  client: S3Client;
  createBucket(name: string): Promise<void>;
  /** The file the posix backend keeps an object in. */
  objectPath(key: string, bucket?: string): string;
  stop(): Promise<void>;
}

function waitExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Starts versitygw on a free port with a fresh data folder and one bucket. */
export async function startS3Server(
  options: { bucket?: string; keepAlive?: boolean } = {},
): Promise<S3TestServer> {
  if ('missing' in found) throw new Error(found.missing);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 's3gw-data-'));
  let child: ChildProcess | undefined;
  let port = 0;
  let log = '';
  // A free port can be taken between the check and the bind: try another then.
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    const args = ['--access', ACCESS_KEY, '--secret', SECRET_KEY, '--port', `127.0.0.1:${port}`, '--quiet'];
    if (options.keepAlive) args.push('--keep-alive');
    const started = spawn(found.binary, [...args, 'posix', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    started.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    started.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && started.exitCode === null) {
      if (await canConnect(port)) {
        child = started;
        break;
      }
      await sleep(50);
    }
    if (!child) {
      started.kill('SIGKILL');
      await waitExit(started);
    }
  }
  if (!child) throw new Error(`versitygw did not start: ${log}`);
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY };
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  const createBucket = async (name: string) => {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  };
  const bucket = options.bucket ?? 'backups';
  await createBucket(bucket);
  const running = child;
  return {
    endpoint,
    port,
    dataDir,
    bucket,
    client,
    createBucket,
    settings: (url, extra = {}) => ({ url, endpoint, region: 'us-east-1', credentials, ...extra }),
    objectPath: (key, name = bucket) => path.join(dataDir, name, ...key.split('/')),
    async stop() {
      client.destroy();
      running.kill('SIGTERM');
      await Promise.race([waitExit(running), sleep(5000)]);
      if (running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
