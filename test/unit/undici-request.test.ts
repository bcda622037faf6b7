import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from '../../src/qdrant/undici-request.js';

// The client loads two of undici's internal modules instead of its index (see undici-request.ts): this
// fails when an undici upgrade moves or changes them.
describe('the undici agent and request the Qdrant client loads', () => {
  let server: ReturnType<typeof createServer>;
  let origin: string;
  const seen: { method?: string; url?: string; body: string; apiKey?: string }[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, body, apiKey: req.headers['api-key'] as string });
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the method, path with query, headers and body through the given agent', async () => {
    const agent = new Agent({ connections: 2 });
    try {
      const response = await request(`${origin}/collections/a%20b/snapshots?wait=true`, {
        dispatcher: agent,
        method: 'PUT',
        headers: { 'api-key': 'k' },
        body: '{"x":1}',
      });
      expect(response.statusCode).toBe(201);
      expect(await response.body.json()).toEqual({ ok: true });
      expect(seen.at(-1)).toEqual({
        method: 'PUT',
        url: '/collections/a%20b/snapshots?wait=true',
        body: '{"x":1}',
        apiKey: 'k',
      });
    } finally {
      await agent.close();
    }
  });

  it('aborts on the signal', async () => {
    const agent = new Agent();
    try {
      const pending = request(`${origin}/`, {
        dispatcher: agent,
        method: 'GET',
        signal: AbortSignal.abort(),
      });
      await expect(pending).rejects.toThrow(/abort/i);
    } finally {
      await agent.close();
    }
  });
});
