// Backoff and the retry loop, without a server.
import { describe, expect, it } from 'vitest';
import { QdrantError } from '../../src/qdrant/errors.js';
import { backoffDelay, withRetry, type RetryPolicy } from '../../src/qdrant/retry.js';

const policy: RetryPolicy = { attempts: 4, baseDelayMs: 10, maxDelayMs: 40 };
const fail = (status?: number, code?: string, retryAfterMs?: number) =>
  new QdrantError('failed', { method: 'GET', path: '/collections', status, code, retryAfterMs });

describe('backoffDelay', () => {
  it('grows exponentially with jitter in [ceiling/2, ceiling], capped at maxDelayMs', () => {
    for (let i = 0; i < 200; i++) {
      const ceilings = [10, 20, 40, 40, 40];
      ceilings.forEach((ceiling, index) => {
        const delay = backoffDelay(policy, index + 1);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      });
    }
    const samples = new Set(Array.from({ length: 20 }, () => backoffDelay(policy, 3)));
    expect(samples.size).toBeGreaterThan(1);
  });

  it("honours the server's Retry-After when longer, up to a minute", () => {
    expect(backoffDelay(policy, 1, 1_000)).toBe(1_000);
    expect(backoffDelay(policy, 1, 5)).toBeLessThanOrEqual(10);
    expect(backoffDelay(policy, 1, 3_600_000)).toBe(60_000);
  });
});

describe('withRetry', () => {
  it('retries 429, 5xx and broken connections, then returns', async () => {
    for (const error of [
      fail(429),
      fail(503),
      fail(502),
      fail(undefined, 'ECONNRESET'),
      fail(undefined, 'UND_ERR_SOCKET'),
    ]) {
      let calls = 0;
      const retried: number[] = [];
      const result = await withRetry(
        async () => {
          if (++calls < 3) throw error;
          return 'ok';
        },
        policy,
        { onRetry: (_e, attempt) => retried.push(attempt) },
      );
      expect(result).toBe('ok');
      expect(calls).toBe(3);
      expect(retried).toEqual([1, 2]);
    }
  });

  it('does not retry 4xx, timeouts, TLS, not-Qdrant, cancellation, unknown failures or a 500 upload', async () => {
    const finals = [
      fail(400),
      fail(401),
      fail(403),
      fail(404),
      fail(undefined, 'TIMEOUT'),
      fail(undefined, 'TLS'),
      fail(undefined, 'NOT_QDRANT'),
      fail(undefined, 'ABORTED'),
      fail(undefined, undefined),
      new QdrantError('bad tar', { method: 'POST', path: '/collections/c/snapshots/upload', status: 500 }),
      new Error('not a QdrantError'),
    ];
    for (const error of finals) {
      let calls = 0;
      await expect(
        withRetry(async () => {
          calls++;
          throw error;
        }, policy),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });

  it('gives up after `attempts`', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw fail(503);
      }, policy),
    ).rejects.toMatchObject({ status: 503 });
    expect(calls).toBe(4);
  });
});
