import * as http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReadyOptions {
  timeoutMs: number;
  /** Pause between two probes. */
  intervalMs?: number;
  /** Reason the server will never become ready (it exited), checked after each failed probe. */
  exited?: () => Promise<string | undefined>;
}

export type ReadyResult =
  { ready: true; elapsedMs: number } | { ready: false; exited: boolean; reason: string };

/** One GET of `${url}/readyz`: undefined when it answered 200, otherwise what it did instead. */
export function probeReady(url: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = http.get(`${url}/readyz`, { agent: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body = (body + chunk).slice(0, 200)));
      response.on('end', () =>
        resolve(response.statusCode === 200 ? undefined : `HTTP ${response.statusCode}: ${body.trim()}`),
      );
      response.on('error', (error) => resolve(error.message));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Polls /readyz until it answers 200, the deadline passes or the server exits. Never throws. */
export async function waitForReady(url: string, options: ReadyOptions): Promise<ReadyResult> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const interval = options.intervalMs ?? 500;
  for (;;) {
    const problem = await probeReady(url, Math.max(100, Math.min(2000, deadline - Date.now())));
    if (problem === undefined) return { ready: true, elapsedMs: Date.now() - started };
    const exited = await options.exited?.();
    if (exited) return { ready: false, exited: true, reason: exited };
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { ready: false, exited: false, reason: `the last probe got ${problem}` };
    await sleep(Math.min(interval, remaining));
  }
}
