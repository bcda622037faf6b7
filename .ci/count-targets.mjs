// Reads the per-test log written by test/helpers/target-usage-setup.ts ($QDRANT_TARGET_LOG) and prints
// how many tests ran against each kind of Qdrant. A test may use two kinds (a backup from a real node
// restored into an emulator): it counts under each. 'none recorded': unit tests, the emulator's own tests
// (they start it directly), tests against fake servers.
import { readFileSync } from 'node:fs';

const [file, title = 'Tests per Qdrant target'] = process.argv.slice(2);
const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
const tests = lines.map((line) => JSON.parse(line));

const KINDS = [
  ['real-node', 'real Qdrant, single node'],
  ['real-cluster', 'real Qdrant, cluster'],
  ['shared-server', 'real Qdrant at QDRANT_URL'],
  ['emulator', 'emulator'],
];
const suite = (test) => test.file.split('/').slice(0, 2).join('/');
const suites = [...new Set(tests.map(suite))].sort();

const count = (pick) => {
  const picked = tests.filter(pick);
  const bySuite = suites
    .map((name) => [name, picked.filter((test) => suite(test) === name).length])
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  return `${String(picked.length).padStart(4)}${bySuite ? `  (${bySuite})` : ''}`;
};

console.log(`${title}: ${tests.length} tests ran`);
for (const [kind, label] of KINDS) console.log(`  ${label.padEnd(28)}${count((t) => t.used.includes(kind))}`);
console.log(`  ${'none recorded'.padEnd(28)}${count((t) => t.used.length === 0)}`);
const e2e = tests.filter((t) => t.file.startsWith('test/e2e/'));
const real = (kind) => e2e.filter((t) => t.used.includes(kind)).length;
console.log(
  `  end-to-end (test/e2e): ${e2e.length} ran; real single node ${real('real-node')}, real cluster ${real('real-cluster')}, emulator ${real('emulator')}`,
);
