#!/usr/bin/env node
// Run the local artifact service as a process:
//   node test/artifact-service/cli.js --port 0 --data DIR
// The first line of stdout is the service URL. Admin endpoints (JSON):
//   POST /_admin/env            {runId, jobId?, repository?, token?}  -> env vars for a job of that run
//   POST /_admin/workflow-runs  {id, workflow, branch?, status?, conclusion?, createdAt?}
//   GET  /_admin/artifacts      POST /_admin/artifacts/<id>/expire      GET /_admin/requests
//   POST /_admin/inject         {route, failNext: {count, status}}
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startArtifactService } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    data: { type: 'string' },
    repository: { type: 'string' },
  },
});
const dataDir = values.data ?? (await mkdtemp(path.join(os.tmpdir(), 'artifact-service-')));
const svc = await startArtifactService({
  dataDir,
  port: Number(values.port),
  host: values.host,
  repository: values.repository,
});
process.stdout.write(`${svc.url}\n`);

let closing = false;
const shutdown = async () => {
  if (closing) return;
  closing = true;
  await svc.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
