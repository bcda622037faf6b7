import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A reverse proxy in front of a Qdrant (real or emulated) that behaves like a load balancer giving up on
 * a slow backend: for a matching request it forwards the whole request, then answers `status` to the
 * client without waiting, while the backend goes on with the work. It counts what reached the backend.
 */
export interface LossyRule {
  method: string;
  path: RegExp;
  status: 502 | 504;
  /** How many matching requests get the early answer; later ones pass through. */
  times: number;
}

export interface LossyProxy {
  url: string;
  /** Requests forwarded to the backend, as "METHOD /path". */
  forwarded: string[];
  close(): Promise<void>;
}

export async function startLossyProxy(upstream: string, rules: LossyRule[]): Promise<LossyProxy> {
  const target = new URL(upstream);
  const forwarded: string[] = [];
  const left = rules.map((rule) => rule.times);
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    forwarded.push(`${req.method} ${pathname}`);
    const index = rules.findIndex(
      (rule, i) => left[i]! > 0 && rule.method === req.method && rule.path.test(pathname),
    );
    if (index >= 0) left[index]!--;
    const outbound = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        if (index >= 0) {
          answer.resume();
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    outbound.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end('upstream failed');
    });
    req.pipe(outbound);
    if (index >= 0) {
      // The backend has the whole request: give up on it, as a proxy's timeout would.
      req.on('end', () => {
        res.writeHead(rules[index]!.status, { 'content-type': 'text/plain' });
        res.end(`proxy gave up (${rules[index]!.status})`);
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
