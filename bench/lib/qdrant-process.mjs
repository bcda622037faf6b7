// A real Qdrant node for the benchmarks: the binary named by QDRANT_BINARY, on free ports, with storage of
// its own under the given folder; stopped with SIGTERM (SIGKILL after 10 s).
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** @param {string} binary @param {string} dir */
export async function startQdrantNode(binary, dir) {
  await mkdir(dir, { recursive: true });
  const http = await freePort();
  const grpc = await freePort();
  const child = spawn(binary, [], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH,
      QDRANT__SERVICE__HTTP_PORT: String(http),
      QDRANT__SERVICE__GRPC_PORT: String(grpc),
      QDRANT__SERVICE__HOST: '127.0.0.1',
      QDRANT__STORAGE__STORAGE_PATH: path.join(dir, 'storage'),
      QDRANT__STORAGE__SNAPSHOTS_PATH: path.join(dir, 'snapshots'),
      QDRANT__TELEMETRY_DISABLED: 'true',
      QDRANT__LOG_LEVEL: 'WARN',
    },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const url = `http://127.0.0.1:${http}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`qdrant exited with ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`qdrant did not become ready: ${stderr}`);
    await sleep(100);
  }
  return {
    url,
    pid: child.pid,
    async call(method, route, body) {
      const response = await fetch(`${url}${route}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
      return JSON.parse(text).result;
    },
    /** CPU seconds (user + system) the node has used since it started (Linux /proc). */
    async cpuSeconds() {
      const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8').catch(() => undefined);
      if (!stat) return NaN;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
    },
    /** REST requests the node has answered since it started (from its telemetry). */
    async requestCount() {
      const telemetry = await this.call('GET', '/telemetry?details_level=1');
      const responses = telemetry.requests?.rest?.responses ?? {};
      let total = 0;
      for (const byStatus of Object.values(responses))
        for (const stats of Object.values(byStatus)) total += stats.count ?? 0;
      return total;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await new Promise((resolve) => child.once('exit', resolve));
      clearTimeout(killer);
    },
  };
}
