// The real-server fixture's own promises, checked with stand-in binaries (no Qdrant needed): a server
// that ignores SIGTERM is killed after the grace period, one that dies at start reports its log, and no
// process is left either way.
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { processExists, startQdrantNode } from './qdrant-process.js';

/** A stand-in `qdrant`: a node script serving GET / and /readyz on QDRANT__SERVICE__HTTP_PORT. */
async function fakeQdrant(body: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fake-qdrant-'));
  const file = path.join(dir, 'qdrant');
  await writeFile(file, `#!${process.execPath}\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

const SERVE = `
const http = require('node:http');
http
  .createServer((req, res) => {
    if (req.url === '/') return res.end(JSON.stringify({ title: 'qdrant - vector search engine', version: '1.19.0' }));
    res.end('all shards are ready');
  })
  .listen(Number(process.env.QDRANT__SERVICE__HTTP_PORT), process.env.QDRANT__SERVICE__HOST);
`;

describe('the real Qdrant fixture (stand-in binaries)', () => {
  it('stops a server with SIGTERM, and SIGKILLs one that ignores it after the grace period', async () => {
    const polite = await startQdrantNode({ binary: await fakeQdrant(SERVE) });
    expect(polite.version).toBe('1.19.0');
    expect(processExists(polite.pid)).toBe(true);
    expect(await polite.stop()).toMatchObject({ pid: polite.pid, how: 'stopped' });
    expect(processExists(polite.pid)).toBe(false);

    const stubborn = await startQdrantNode({
      binary: await fakeQdrant(`process.on('SIGTERM', () => {});\n${SERVE}`),
      stopGraceMs: 500,
    });
    const stopped = await stubborn.stop();
    expect(stopped).toMatchObject({ pid: stubborn.pid, how: 'killed' });
    expect(stopped.ms).toBeGreaterThanOrEqual(500);
    expect(processExists(stubborn.pid)).toBe(false);
    expect(stubborn.running()).toBe(false);
  });

  it('a server that dies at start: the error quotes its log, and nothing is left running', async () => {
    const binary = await fakeQdrant(
      `console.error('Panic: cannot open storage: permission denied'); process.exit(3);`,
    );
    await expect(startQdrantNode({ binary })).rejects.toThrow(
      /Qdrant exited before it was ready .*\n.*Panic: cannot open storage: permission denied/,
    );
  });

  it('no binary: says which variable to set', async () => {
    await expect(startQdrantNode({ binary: '/nonexistent/qdrant' })).rejects.toThrow(
      'QDRANT_BINARY points at /nonexistent/qdrant, which does not exist.',
    );
  });
});
