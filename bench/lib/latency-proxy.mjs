// An HTTP proxy that holds every request for `delayMs` before forwarding it: a server "that far away".
import http from 'node:http';

/**
 * @param {string} target base URL of the real server
 * @param {number} delayMs
 * @returns {Promise<{ url: string, close(): Promise<void> }>}
 */
export async function startLatencyProxy(target, delayMs) {
  const { hostname, port } = new URL(target);
  const proxy = http.createServer((req, res) => {
    setTimeout(() => {
      const upstream = http.request(
        { host: hostname, port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    }, delayMs);
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port: own } = /** @type {import('node:net').AddressInfo} */ (proxy.address());
  return {
    url: `http://127.0.0.1:${own}`,
    close: () =>
      new Promise((resolve) => (proxy.closeAllConnections(), proxy.close(() => resolve(undefined)))),
  };
}
