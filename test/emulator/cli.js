#!/usr/bin/env node
// node test/emulator/cli.js --port 0 --data DIR [--api-key K] [--read-only-key R] [--version 1.19.0]
//   [--snapshot-delay-ms N] [--host 127.0.0.1] [--peer-id N] [--snapshot-storage local|s3] [--cluster]
// Prints the URL as the first line of stdout, then serves until SIGTERM/SIGINT.
import { parseArgs } from 'node:util';

import { startEmulator } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    data: { type: 'string' },
    'api-key': { type: 'string' },
    'read-only-key': { type: 'string' },
    version: { type: 'string' },
    'snapshot-delay-ms': { type: 'string' },
    'peer-id': { type: 'string' },
    'snapshot-storage': { type: 'string', default: 'local' },
    cluster: { type: 'boolean', default: false },
  },
  strict: true,
});

if (!values.data) {
  process.stderr.write(
    'usage: cli.js --data DIR [--port 0] [--api-key K] [--read-only-key R] [--version V]\n',
  );
  process.exit(2);
}

const emu = await startEmulator({
  port: Number(values.port),
  host: values.host,
  dataDir: values.data,
  apiKey: values['api-key'],
  readOnlyKey: values['read-only-key'],
  version: values.version,
  peerId: values['peer-id'] !== undefined ? Number(values['peer-id']) : undefined,
  snapshotCreateDelayMs:
    values['snapshot-delay-ms'] !== undefined ? Number(values['snapshot-delay-ms']) : undefined,
  snapshotStorage: values['snapshot-storage'] === 's3' ? 's3' : 'local',
  cluster: values.cluster,
});
process.stdout.write(`${emu.url}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await emu.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
