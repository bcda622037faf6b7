// Helpers for the client suite: fast retries, temp folders, hashing, small local servers.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { QdrantClient, type ClientOptions } from '../../src/qdrant/client.js';
import type { RetryPolicy } from '../../src/qdrant/retry.js';
import type { Target } from '../helpers/target.js';

/** Retries fast enough for tests, slow enough that backoff is real. */
export const FAST_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 20, maxDelayMs: 200 };

export interface TestClient {
  client: QdrantClient;
  /** Every message passed to onRetry, in order. */
  retries: string[];
}

export function makeClient(
  url: string,
  options: Partial<Omit<ClientOptions, 'url'>> & { apiKey?: string } = {},
): TestClient {
  const retries: string[] = [];
  const client = new QdrantClient({
    url,
    timeoutMs: 10_000,
    retry: FAST_RETRY,
    onRetry: (error, note) => retries.push(`${error.message} ${note}`),
    ...options,
  });
  return { client, retries };
}

export function targetClient(target: Target, options: Partial<Omit<ClientOptions, 'url'>> = {}): TestClient {
  return makeClient(target.url, { apiKey: target.apiKey, ...options });
}

export async function tempDir(prefix = 'client-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** Files left in a folder (to assert no `.partial` survives). */
export async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** Runs `fn`, expecting it to throw; returns the error and how long it took. */
export async function failure<E = Error>(fn: () => Promise<unknown>): Promise<{ error: E; ms: number }> {
  const started = Date.now();
  try {
    await fn();
  } catch (error) {
    return { error: error as E, ms: Date.now() - started };
  }
  throw new Error(`expected a failure, it succeeded after ${Date.now() - started} ms`);
}

/** A tiny HTTP server answering every request with `handler`. */
export async function plainServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const vector = (dim: number, seed: number) =>
  Array.from({ length: dim }, (_, i) => Number(Math.sin(seed * 7 + i).toFixed(4)));

/** A collection of `count` points with payloads, made through plain REST (works on a real Qdrant too). */
export async function seedCollection(target: Target, name: string, count: number, dim = 8): Promise<void> {
  await target.call('PUT', `/collections/${name}`, { vectors: { size: dim, distance: 'Dot' } });
  await target.call('PUT', `/collections/${name}/points?wait=true`, {
    points: Array.from({ length: count }, (_, i) => ({
      id: i + 1,
      vector: vector(dim, i),
      payload: { n: i, text: `point ${i}` },
    })),
  });
}
