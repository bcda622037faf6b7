// The start-or-connect pieces on their own: release asset names, docker arguments, ports, readiness
// polling, log tails and process identity.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ActionError } from '../../src/core/errors.js';
import { releaseAsset, releaseUrl } from '../../src/server/binary.js';
import { containerName, runArgs } from '../../src/server/docker.js';
import { lastLines, readTail, redact } from '../../src/server/log.js';
import { freePort, isPortFree, pickPort } from '../../src/server/ports.js';
import { isAlive, processMarker, stopProcess } from '../../src/server/process.js';
import { waitForReady } from '../../src/server/ready.js';
import { close, occupy, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

describe('release assets', () => {
  it('names the archive Qdrant publishes for each runner', () => {
    expect(releaseAsset('linux', 'x64')).toBe('qdrant-x86_64-unknown-linux-musl.tar.gz');
    expect(releaseAsset('linux', 'arm64')).toBe('qdrant-aarch64-unknown-linux-musl.tar.gz');
    expect(releaseAsset('darwin', 'x64')).toBe('qdrant-x86_64-apple-darwin.tar.gz');
    expect(releaseAsset('darwin', 'arm64')).toBe('qdrant-aarch64-apple-darwin.tar.gz');
    expect(releaseAsset('win32', 'x64')).toBe('qdrant-x86_64-pc-windows-msvc.zip');
  });

  it('refuses an unsupported platform, suggesting start: docker', () => {
    expect(() => releaseAsset('win32', 'arm64')).toThrow(ActionError);
    expect(() => releaseAsset('freebsd', 'x64')).toThrow(/freebsd\/x64.*start: docker/);
  });

  it('builds the download URL from the GitHub releases or a mirror', () => {
    expect(releaseUrl('v1.18.3', undefined, 'a.tar.gz')).toBe(
      'https://github.com/qdrant/qdrant/releases/download/v1.18.3/a.tar.gz',
    );
    expect(releaseUrl('v1.18.3', 'http://mirror.local/qdrant/', 'a.tar.gz')).toBe(
      'http://mirror.local/qdrant/v1.18.3/a.tar.gz',
    );
  });
});

describe('docker arguments', () => {
  it('publish on the loopback and name the key variable without its value', () => {
    expect(runArgs('n', 6333, 'v1.18.3', true)).toEqual([
      'run',
      '-d',
      '--name',
      'n',
      '-p',
      '127.0.0.1:6333:6333',
      '-e',
      'QDRANT__TELEMETRY_DISABLED=true',
      '-e',
      'QDRANT__SERVICE__API_KEY',
      'qdrant/qdrant:v1.18.3',
    ]);
    expect(runArgs('n', 7000, 'v1.18.3', false)).not.toContain('QDRANT__SERVICE__API_KEY');
  });

  it('container names are unique per run and call', () => {
    const a = containerName({ GITHUB_RUN_ID: '99' });
    expect(a).toMatch(/^qdrant-snapshot-99-[0-9a-f]{8}$/);
    expect(containerName({ GITHUB_RUN_ID: '99' })).not.toBe(a);
    expect(containerName({})).toMatch(/^qdrant-snapshot-local-/);
  });
});

describe('ports', () => {
  it('a listened port is not free; pickPort then gives another', async () => {
    const port = await freePort();
    const blocker = await occupy(port);
    try {
      expect(await isPortFree(port)).toBe(false);
      const picked = await pickPort(port);
      expect(picked).not.toBe(port);
      expect(await isPortFree(picked)).toBe(true);
    } finally {
      await close(blocker);
    }
    expect(await pickPort(port)).toBe(port);
  });

  it('pickPort avoids the ports it is told to', async () => {
    const port = await freePort();
    expect(await pickPort(port, [port])).not.toBe(port);
  });
});

describe('readiness', () => {
  it('polls /readyz until it answers 200', async () => {
    let calls = 0;
    const server = http.createServer((req, res) => {
      calls++;
      if (req.url === '/readyz' && calls >= 3) res.writeHead(200).end('all shards are ready');
      else res.writeHead(503).end('not ready');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const result = await waitForReady(url, { timeoutMs: 5000, intervalMs: 50 });
      expect(result.ready).toBe(true);
      expect(calls).toBe(3);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('gives up at the deadline, saying what the last probe got', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const begin = Date.now();
    const result = await waitForReady(url, { timeoutMs: 600, intervalMs: 100 });
    expect(Date.now() - begin).toBeLessThan(3000);
    expect(result).toEqual({ ready: false, exited: false, reason: 'the last probe got ECONNREFUSED' });
  });

  it('stops waiting when the server exited', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await waitForReady(url, {
      timeoutMs: 60_000,
      exited: async () => 'it exited with code 1',
    });
    expect(result).toEqual({ ready: false, exited: true, reason: 'it exited with code 1' });
  });
});

describe('logs', () => {
  it('keeps the last lines and hides the key', async () => {
    expect(lastLines('a\nb\nc\n', 2)).toBe('b\nc');
    expect(redact('key=s3cret s3cret', 's3cret')).toBe('key=*** ***');
    expect(redact('nothing', undefined)).toBe('nothing');
    const file = path.join(await tempDir('log-tail-'), 'qdrant.log');
    await writeFile(file, Array.from({ length: 300 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    expect((await readTail(file, 200)).split('\n')).toHaveLength(200);
    expect(await readTail(file, 2)).toBe('line 299\nline 300');
    expect(await readTail(path.join(path.dirname(file), 'missing.log'), 5)).toBe('');
  });
});

describe.skipIf(process.platform === 'win32')('processes', () => {
  it('stops its own process by marker, and leaves a different one alone', async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const pid = child.pid!;
    const marker = await processMarker(pid);
    expect(marker).not.toBe('');
    expect(await stopProcess(pid, `${marker}0`)).toBe('not-ours');
    expect(await isAlive(pid)).toBe(true);
    expect(await stopProcess(pid, marker)).toBe('stopped');
    await new Promise((resolve) =>
      child.exitCode !== null || child.signalCode ? resolve(null) : child.once('exit', resolve),
    );
    expect(await isAlive(pid)).toBe(false);
    expect(await stopProcess(pid, marker)).toBe('gone');
  });

  it('kills a process that ignores SIGTERM after the grace period', async () => {
    const child = spawn('sh', ['-c', 'trap "" TERM; sleep 30 & wait'], { detached: true, stdio: 'ignore' });
    const pid = child.pid!;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await stopProcess(pid, await processMarker(pid), 300)).toBe('killed');
    await new Promise((resolve) =>
      child.exitCode !== null || child.signalCode ? resolve(null) : child.once('exit', resolve),
    );
    expect(await isAlive(pid)).toBe(false);
  });
});
