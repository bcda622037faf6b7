// scrollPoints and retrievePoints: paging, flags, retries (read-only POSTs), and integer ids above 2^53,
// which JSON.parse rounds. Runs on the emulator, and unchanged on a real Qdrant when QDRANT_URL is set;
// the wire-level cases use a small local server.
import http, { type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QdrantClient } from '../../src/qdrant/client.js';
import type { PointId } from '../../src/qdrant/types.js';
import { startTarget, type Target } from '../helpers/target.js';
import { makeClient, seedCollection, targetClient } from './helpers.js';

let target: Target;
let client: QdrantClient;
let retries: string[];
let books: string;

beforeAll(async () => {
  target = await startTarget();
  ({ client, retries } = targetClient(target));
  books = `${target.prefix}books`;
  await seedCollection(target, books, 25);
});

afterAll(async () => {
  await client.close();
  await target.close();
});

describe('scrollPoints', () => {
  it('pages through every point in id order', async () => {
    const ids: PointId[] = [];
    let offset: PointId | null = null;
    let pages = 0;
    do {
      const page = await client.scrollPoints(books, {
        limit: 10,
        offset,
        withVector: true,
        withPayload: true,
      });
      ids.push(...page.points.map((p) => p.id));
      for (const point of page.points) {
        expect(point.vector).toHaveLength(8);
        expect(point.payload).toMatchObject({ text: `point ${Number(point.id) - 1}` });
      }
      offset = page.next_page_offset;
      pages++;
    } while (offset !== null);
    expect(pages).toBe(3);
    expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('leaves vectors and payload out unless asked', async () => {
    const page = await client.scrollPoints(books, { limit: 2 });
    expect(page.points).toEqual([{ id: 1 }, { id: 2 }]);
    expect(page.next_page_offset).toBe(3);
  });

  it.skipIf(Boolean(process.env.QDRANT_URL))('retries a 503 (a read: safe to repeat)', async () => {
    target.emulator!.inject({ route: 'points.scroll', failNext: { status: 503, message: 'busy' } });
    const before = retries.length;
    const page = await client.scrollPoints(books, { limit: 5, offset: 21 });
    expect(page.points.map((p) => p.id)).toEqual([21, 22, 23, 24, 25]);
    expect(retries.length).toBe(before + 1);
    expect(retries.at(-1)).toMatch(/503/);
  });
});

describe('retrievePoints', () => {
  it('returns the points asked for and leaves out absent ids', async () => {
    const points = await client.retrievePoints(books, [7, 999, 3], { withPayload: true });
    expect(points.map((p) => p.id).sort()).toEqual([3, 7]);
    expect(points.find((p) => p.id === 7)?.payload).toMatchObject({ n: 6 });
    expect(points[0]!.vector).toBeUndefined();
  });
});

describe('ids above 2^53', () => {
  const BIG = 18446744073709551615n;
  const BIG_TEXT = BIG.toString();

  async function readBody(req: IncomingMessage): Promise<string> {
    let text = '';
    for await (const chunk of req) text += chunk;
    return text;
  }

  /** Answers as Qdrant does: the full page, or ids only when asked without vectors and payload. */
  async function bigIdServer() {
    const bodies: string[] = [];
    const s = http.createServer(async (req, res) => {
      const body = await readBody(req);
      bodies.push(body);
      const bare = body.includes('"with_vector":false') && body.includes('"with_payload":false');
      const record = (id: string, n: number) =>
        bare ? `{"id":${id}}` : `{"id":${id},"payload":{"id":${id},"n":${n}},"vector":[0.5,0.25]}`;
      const points = `[${record('7', 1)},${record(BIG_TEXT, 2)}]`;
      const result = req.url!.endsWith('/scroll')
        ? `{"points":${points},"next_page_offset":18446744073709551614}`
        : points;
      res.setHeader('content-type', 'application/json');
      res.end(`{"result":${result},"status":"ok","time":0.001}`);
    });
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const { port } = s.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      bodies,
      close: () => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve()))),
    };
  }

  it('scroll reads them exactly (a second, ids-only read) and sends an offset as a bare integer', async () => {
    const server = await bigIdServer();
    const { client: local } = makeClient(server.url);
    try {
      const page = await local.scrollPoints('c', {
        limit: 2,
        offset: BIG,
        withVector: true,
        withPayload: true,
      });
      expect(page.points.map((p) => p.id)).toEqual([7, BIG]);
      expect(page.points[1]!.vector).toEqual([0.5, 0.25]);
      expect(page.next_page_offset).toBe(18446744073709551614n);
      expect(server.bodies).toEqual([
        `{"limit":2,"offset":${BIG_TEXT},"with_vector":true,"with_payload":true}`,
        `{"limit":2,"offset":${BIG_TEXT},"with_vector":false,"with_payload":false}`,
      ]);
    } finally {
      await local.close();
      await server.close();
    }
  });

  it('retrieve asks for them as bare integers and reads them exactly', async () => {
    const server = await bigIdServer();
    const { client: local } = makeClient(server.url);
    try {
      const points = await local.retrievePoints('c', [7, BIG], { withVector: true });
      expect(points.map((p) => p.id)).toEqual([7, BIG]);
      expect(server.bodies[0]).toBe(`{"ids":[7,${BIG_TEXT}],"with_vector":true,"with_payload":false}`);
    } finally {
      await local.close();
      await server.close();
    }
  });
});
