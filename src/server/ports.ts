import * as net from 'node:net';

/** The address every started Qdrant listens on: the runner itself, never the network. */
export const LOOPBACK = '127.0.0.1';

/** True when nothing listens on `port` (checked by listening on it for a moment). */
export function isPortFree(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the system considers free right now. */
export function freePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('the system gave no free port'))));
    });
  });
}

/** `preferred` when it is free (and not in `avoid`), otherwise any free port. */
export async function pickPort(preferred: number, avoid: number[] = []): Promise<number> {
  if (!avoid.includes(preferred) && (await isPortFree(preferred))) return preferred;
  for (;;) {
    const port = await freePort();
    if (!avoid.includes(port)) return port;
  }
}
