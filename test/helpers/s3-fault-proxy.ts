// An HTTP proxy in front of the real S3 server that injects the faults a store or a network can cause:
// an S3 error answer to chosen requests, or a connection dropped in the middle of a request or response body.
// Everything it does not intercept reaches versitygw unchanged (the Host header too, so signatures hold).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'error'; status: number; code: string; message: string }
  | { kind: 'drop'; afterBytes: number }
  | { kind: 'cut-response'; afterBytes: number };

/** Decides per request: a fault to inject, or undefined to pass the request on. */
export type FaultRule = (request: http.IncomingMessage) => Fault | undefined;

export interface FaultProxy {
  endpoint: string;
  /** Requests intercepted so far, as "METHOD path?query". */
  intercepted: string[];
  setRule(rule: FaultRule | undefined): void;
  close(): Promise<void>;
}

export async function startFaultProxy(upstreamPort: number, initial?: FaultRule): Promise<FaultProxy> {
  let rule = initial;
  const intercepted: string[] = [];
  const server = http.createServer((req, res) => {
    const fault = rule?.(req);
    if (fault) intercepted.push(`${req.method} ${req.url}`);
    if (fault?.kind === 'error') {
      req.resume();
      req.on('end', () => {
        res.writeHead(fault.status, { 'content-type': 'application/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>${fault.message}</Message><RequestId>proxy</RequestId></Error>`,
        );
      });
      return;
    }
    if (fault?.kind === 'drop') {
      let seen = 0;
      req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen >= fault.afterBytes) req.socket.destroy();
      });
      req.on('end', () => req.socket.destroy());
      return;
    }
    const headers = { ...req.headers };
    delete headers.expect; // unsigned; the proxy has already answered 100-continue itself
    const upstream = http.request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (fault?.kind === 'cut-response') {
          let sent = 0;
          answer.on('data', (chunk: Buffer) => {
            sent += chunk.length;
            if (sent >= fault.afterBytes) {
              answer.destroy();
              res.socket?.destroy();
            }
          });
        }
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    intercepted,
    setRule: (next) => (rule = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
