// npm run demo: seed three collections, back them up, drop them, restore, verify, print the summary.
// Without QDRANT_URL it runs against the project's Qdrant REST emulator; with it, against that server,
// in collections of its own (a random prefix) that it removes again at the end.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(path.join(tmpdir(), 'qdrant-snapshot-demo-'));
let emulator;
let url = process.env.QDRANT_URL;
const apiKey = process.env.QDRANT_API_KEY;
if (url) {
  console.log(`Demo against the Qdrant at ${url} (QDRANT_URL), in collections of its own.`);
} else {
  const { startEmulator } = await import('../test/emulator/index.js');
  emulator = await startEmulator({ dataDir: path.join(work, 'emulator') });
  url = emulator.url;
  console.log(
    `No QDRANT_URL set: starting the project's Qdrant REST emulator (a test double, not a real Qdrant) at ${url}.`,
  );
}

const prefix = `qsa_demo_${randomBytes(3).toString('hex')}_`;
const names = { dense: `${prefix}dense`, hybrid: `${prefix}hybrid`, aliased: `${prefix}aliased` };
const alias = `${prefix}live`;

async function qdrant(method, route, body) {
  const response = await fetch(`${url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...(apiKey ? { 'api-key': apiKey } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
  return JSON.parse(text).result;
}

const vector = (dim, seed) => Array.from({ length: dim }, (_, i) => Math.sin(seed * 31 + i));

// Asynchronous on purpose: the emulator serves from this very process.
async function cli(...args) {
  console.log(`\n$ qdrant-snapshot ${args.join(' ')}`);
  const child = spawn(process.execPath, [path.join(root, 'dist/cli/index.js'), ...args], {
    stdio: 'inherit',
    env: { ...process.env, QDRANT_URL: url },
  });
  const status = await new Promise((resolve) => child.on('close', resolve));
  if (status !== 0) throw new Error(`qdrant-snapshot ${args[0]} exited with ${status}`);
}

let failed = false;
try {
  console.log(`Seeding ${Object.values(names).join(', ')} and alias ${alias}.`);
  await qdrant('PUT', `/collections/${names.dense}`, { vectors: { size: 8, distance: 'Cosine' } });
  await qdrant('PUT', `/collections/${names.dense}/points?wait=true`, {
    points: Array.from({ length: 200 }, (_, i) => ({ id: i + 1, vector: vector(8, i) })),
  });
  await qdrant('PUT', `/collections/${names.hybrid}`, {
    vectors: { title: { size: 4, distance: 'Dot' }, body: { size: 6, distance: 'Euclid' } },
    sparse_vectors: { keywords: {} },
  });
  await qdrant('PUT', `/collections/${names.hybrid}/points?wait=true`, {
    points: Array.from({ length: 50 }, (_, i) => ({
      id: i + 1,
      vector: {
        title: vector(4, i),
        body: vector(6, i + 100),
        keywords: { indices: [i, i + 7], values: [0.5, 0.25] },
      },
      payload: { title: `Document ${i + 1}`, tags: i % 2 ? ['odd'] : ['even'], price: i * 1.5 },
    })),
  });
  await qdrant('PUT', `/collections/${names.aliased}`, { vectors: { size: 4, distance: 'Manhattan' } });
  await qdrant('PUT', `/collections/${names.aliased}/points?wait=true`, {
    points: Array.from({ length: 25 }, (_, i) => ({
      id: i + 1,
      vector: vector(4, i + 500),
      payload: { n: i },
    })),
  });
  await qdrant('POST', '/collections/aliases', {
    actions: [{ create_alias: { collection_name: names.aliased, alias_name: alias } }],
  });

  const backups = path.join(work, 'backups');
  await cli('backup', '--out', backups, '--collections', `${prefix}*`);
  await cli('list', backups);

  console.log(`\nDropping the three collections.`);
  for (const name of Object.values(names)) await qdrant('DELETE', `/collections/${name}`);

  await cli('restore', backups);
  await cli('verify', backups);
  console.log(
    '\nDemo complete: three collections backed up, dropped, restored and verified (exact counts, vector config, alias).',
  );
} catch (error) {
  failed = true;
  console.error(`\nDemo failed: ${error.message}`);
} finally {
  if (!emulator) {
    await qdrant('POST', '/collections/aliases', {
      actions: [{ delete_alias: { alias_name: alias } }],
    }).catch(() => {});
    for (const name of Object.values(names)) await qdrant('DELETE', `/collections/${name}`).catch(() => {});
  }
  await emulator?.close();
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
