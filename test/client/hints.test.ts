// Hints that must point at the real cause: an untrusted certificate, a proxy's size limit, a key that can
// back up but not restore.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QdrantError } from '../../src/qdrant/errors.js';
import { bundled } from '../helpers/bundles.js';
import { startTarget, type Target } from '../helpers/target.js';
import { failure, makeClient, seedCollection, targetClient, tempDir } from './helpers.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!hasOpenssl)('a self-signed certificate', () => {
  let dir: string;
  let server: ChildProcess;
  let url: string;
  beforeAll(async () => {
    dir = await tempDir('tls-');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    // Just enough of Qdrant's API for a backup to find there is nothing to back up, in a process of its
    // own so that it answers while this one waits for the CLI.
    const script = `
      const https = require('node:https'), fs = require('node:fs');
      const server = https.createServer({ key: fs.readFileSync(process.argv[1]), cert: fs.readFileSync(process.argv[2]) }, (req, res) => {
        res.setHeader('content-type', 'application/json');
        if (req.url === '/') return res.end(JSON.stringify({ title: 'qdrant', version: '1.19.0' }));
        res.end(JSON.stringify({ result: { collections: [] }, status: 'ok', time: 0 }));
      });
      server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;
    server = spawn(process.execPath, ['-e', script, path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')]);
    const port = await new Promise<string>((resolve) =>
      server.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())),
    );
    url = `https://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    server.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('is named, with NODE_EXTRA_CA_CERTS as the fix, and not retried', async () => {
    const { client, retries } = makeClient(url);
    const { error } = await failure<QdrantError>(() => client.version());
    expect(error).toBeInstanceOf(QdrantError);
    expect(error.details.code).toBe('TLS_CERTIFICATE');
    expect(error.message).toContain(`The TLS certificate of ${url} is not trusted`);
    expect(error.message).toContain('NODE_EXTRA_CA_CERTS');
    expect(retries).toEqual([]);
    await client.close();
  });

  it('the advice works: with NODE_EXTRA_CA_CERTS the CLI reaches the server', async () => {
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, [bundled('cli'), 'backup', '--url', url, '--out', dir], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
    const without = run({});
    expect(without.stderr, without.stderr).toContain('NODE_EXTRA_CA_CERTS');
    const trusted = run({ NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem') });
    expect(trusted.stderr).not.toContain('not trusted');
    expect(trusted.stderr).toContain('No collections found');
  });
});

describe('hints by status', () => {
  let target: Target;
  let file: string;
  let checksum: string;
  beforeAll(async () => {
    target = await startTarget({ emulator: true });
    const source = `${target.prefix}source`;
    await seedCollection(target, source, 5);
    const { client } = targetClient(target);
    const snapshot = await client.createSnapshot(source);
    file = path.join(await tempDir(), 'source.snapshot');
    await client.downloadSnapshot(source, snapshot.name, file, { expectedSha256: snapshot.checksum! });
    checksum = snapshot.checksum!;
    await client.close();
  });
  afterAll(async () => {
    await target.close();
  });

  it('413 on an upload points at a proxy, not at Qdrant (which does not limit uploads)', async () => {
    target.emulator!.inject({ route: 'snapshot.upload', failNext: { status: 413 } });
    const { client } = targetClient(target);
    const { error } = await failure<QdrantError>(() =>
      client.uploadSnapshot(`${target.prefix}big`, file, { checksum }),
    );
    expect(error.status).toBe(413);
    expect(error.message).toMatch(/reverse proxy or ingress: nginx client_max_body_size/);
    expect(error.message).not.toContain('max_request_size_mb');
    await client.close();
  });

  it('403 on an upload says a restore needs global manage access, not a collection-scoped key', async () => {
    target.emulator!.inject({ route: 'snapshot.upload', failNext: { status: 403 } });
    const { client } = targetClient(target);
    const { error } = await failure<QdrantError>(() =>
      client.uploadSnapshot(`${target.prefix}scoped`, file, { checksum }),
    );
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/collection-scoped key or a JWT .* can back up but not restore/);
    expect(error.message).toContain('global manage access');
    await client.close();
  });
});
