// One JSON request per connection (Connection: close). A pooled keep-alive connection left open by a
// test would hold a real Qdrant's graceful shutdown for its whole keep-alive period.
import * as http from 'node:http';

export interface JsonResponse {
  status: number;
  text: string;
}

export function request(
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, agent: false, headers: { connection: 'close', ...options.headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(options.timeoutMs ?? 60_000, () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.end(options.body);
  });
}
