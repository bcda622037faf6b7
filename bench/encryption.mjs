// Encryption cost: a backup of ten small collections with the bundled CLI, unencrypted, with a passphrase
// (one scrypt derivation per backup, in key.age) and with age recipients, against a real Qdrant
// (QDRANT_BINARY, e.g. /opt/qdrant/v1.19.0/qdrant). Runs are interleaved; medians and per-run ratios printed.
//   QDRANT_BINARY=/opt/qdrant/v1.19.0/qdrant node bench/encryption.mjs [--runs N]
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { startQdrantNode } from './lib/qdrant-process.mjs';
import { ROOT } from './lib/services.mjs';
import { median } from './lib/stats.mjs';

const run = promisify(execFile);
const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 5;
const COLLECTIONS = 10;
const binary = process.env.QDRANT_BINARY;
if (!binary) {
  console.error('Set QDRANT_BINARY to a Qdrant release binary (e.g. /opt/qdrant/v1.19.0/qdrant).');
  process.exit(2);
}

const work = await mkdtemp(path.join(os.tmpdir(), 'bench-encryption-'));
const node = await startQdrantNode(binary, path.join(work, 'qdrant'));
try {
  for (let c = 0; c < COLLECTIONS; c++) {
    const name = `small_${c}`;
    await node.call('PUT', `/collections/${name}`, { vectors: { size: 8, distance: 'Cosine' } });
    const points = Array.from({ length: 100 }, (_, i) => ({
      id: i + 1,
      vector: Array.from({ length: 8 }, (_, d) => Math.sin(i * 8 + d + c)),
      payload: { i },
    }));
    await node.call('PUT', `/collections/${name}/points?wait=true`, { points });
  }
  const recipient = await identityToRecipient(await generateX25519Identity());
  const variants = {
    plain: [],
    passphrase: ['--encryption-key', 'bench-passphrase-0123456789abcdef'],
    recipients: ['--encryption-recipients', recipient],
  };
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const cli = path.join(ROOT, 'dist/cli/index.js');
  for (let r = 0; r < RUNS; r++) {
    for (const [name, flags] of Object.entries(variants)) {
      const out = path.join(work, `out-${name}-${r}`);
      const started = process.hrtime.bigint();
      await run(process.execPath, [
        cli,
        'backup',
        '--url',
        node.url,
        '--out',
        out,
        '--concurrency',
        '2',
        ...flags,
      ]);
      times[name].push(Number(process.hrtime.bigint() - started) / 1e6);
      await rm(out, { recursive: true, force: true });
    }
  }
  console.log(`${COLLECTIONS} collections of 100 points, ${RUNS} runs, CLI process wall time (ms):`);
  for (const [name, values] of Object.entries(times)) {
    const ratios = values.map((v, i) => v / times.plain[i]);
    console.log(
      `${name.padEnd(11)} median ${median(values).toFixed(0).padStart(6)} ms  (${values.map((v) => v.toFixed(0)).join(', ')})  ratio to plain: median ${median(ratios).toFixed(2)}x`,
    );
  }
} finally {
  await node.stop();
  await rm(work, { recursive: true, force: true });
}
