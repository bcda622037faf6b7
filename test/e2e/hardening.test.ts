import { Decrypter } from 'age-encryption';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, symlink } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startArtifactService, type ArtifactService } from '../artifact-service/index.js';
import { ROOT, runAction, type ActionRun } from '../helpers/run-action.js';
import { startSeededWorld, type SeededWorld } from '../helpers/world.js';
import {
  SHARED_QDRANT,
  allPoints,
  seedCollections,
  startTarget,
  watchChanges,
  type Target,
  type TargetOptions,
} from '../helpers/target.js';

const sha256 = (data: Buffer | Uint8Array) => createHash('sha256').update(data).digest('hex');
const KEY = 'enc-Passphrase-7f3a9c1e5b2d4f60';
// Each encrypted file costs a passphrase (scrypt) derivation in pure JS, seconds each on a busy 2-core
// machine: these tests take 30 s alone and twice that when other suites run beside them.
const SCRYPT_TIMEOUT = 180_000;

let target: Target;
let artifacts: ArtifactService;
let seeded: Awaited<ReturnType<typeof seedCollections>>;
let runId = 9000;

let world: SeededWorld;

/** A seeded server for each test of the calling describe: a real one where there is one, unless faults need the emulator. */
function useSeededWorld(options: TargetOptions = {}) {
  beforeEach(async () => {
    world = await startSeededWorld(options);
    ({ target, artifacts, seeded } = world);
  });
  afterEach(() => world.close());
}

function act(inputs: Record<string, string>, run = ++runId) {
  return runAction(
    { url: target.url, 'api-key': target.apiKey ?? '', collections: `${target.prefix}*`, ...inputs },
    { env: artifacts.env({ runId: run }) },
  );
}

async function dropSeeded() {
  await target.call('POST', '/collections/aliases', {
    actions: [{ delete_alias: { alias_name: seeded.alias } }],
  });
  for (const name of Object.values(seeded.names)) await target.call('DELETE', `/collections/${name}`);
}

async function folder() {
  return path.join(await mkdtemp(path.join(os.tmpdir(), 'hardening-')), 'backup');
}

describe('encryption at rest (age, passphrase)', () => {
  useSeededWorld();
  it(
    'encrypts every snapshot file, records both checksums, and restores with the key',
    async () => {
      const before = await allPoints(target, seeded.names.hybrid);
      const dir = await folder();
      const backup = await act({ mode: 'backup', artifact: 'false', path: dir, 'encryption-key': KEY });
      expect(backup.errors).toEqual([]);
      const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
      expect(manifest.encryption).toBe('age-scrypt');
      for (const c of manifest.collections) {
        expect(c.files[0].file).toMatch(/\.snapshot\.age$/);
        const stored = await readFile(path.join(dir, c.files[0].file));
        expect(stored.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
        expect(sha256(stored)).toBe(c.files[0].sha256);
        // Any age implementation decrypts it back to the snapshot Qdrant made.
        const decrypter = new Decrypter();
        decrypter.addPassphrase(KEY);
        const plain = await decrypter.decrypt(stored);
        expect(plain.length).toBe(c.files[0].snapshot_size);
        expect(sha256(plain)).toBe(c.files[0].snapshot_sha256);
        expect(c.files[0].sha256).not.toBe(c.files[0].snapshot_sha256);
      }
      await dropSeeded();
      const restore = await act({ mode: 'restore', artifact: 'false', path: dir, 'encryption-key': KEY });
      expect(restore.errors).toEqual([]);
      expect(restore.outputs.verified).toBe('true');
      expect(await allPoints(target, seeded.names.hybrid)).toEqual(before);
    },
    SCRYPT_TIMEOUT,
  );

  it(
    'fails before touching the server with a wrong or a missing key, saying which',
    async () => {
      const dir = await folder();
      expect((await act({ mode: 'backup', artifact: 'false', path: dir, 'encryption-key': KEY })).code).toBe(
        0,
      );
      const watch = await watchChanges(target);
      const start = target.emulator?.requests.length ?? 0;
      const wrong = await act({
        mode: 'restore',
        artifact: 'false',
        path: dir,
        'encryption-key': 'not-the-right-passphrase',
      });
      expect(wrong.code).toBe(1);
      expect(wrong.errors[0]).toContain("the 'encryption-key' is not the one this backup was encrypted with");
      const missing = await act({ mode: 'restore', artifact: 'false', path: dir });
      expect(missing.code).toBe(1);
      expect(missing.errors[0]).toContain(
        "This backup is encrypted (age); give the key it was made with in 'encryption-key'",
      );
      // Not even a read reached the emulator; a real server holds what it held.
      if (target.emulator) expect(target.emulator.requests.length).toBe(start);
      expect(await watch.changes()).toEqual([]);
    },
    SCRYPT_TIMEOUT,
  );
});

// Starts a server with an api-key of its own: an emulator or a real node, not a shared server.
describe.skipIf(SHARED_QDRANT)('secrets never leave the process', () => {
  useSeededWorld();
  it(
    'api-key, github-token and encryption-key appear in no byte the action wrote',
    async () => {
      const apiKey = 'qdrant-API-key-5e1d8b7aa0c3';
      const token = 'ghs_Token4c9e2f71b3a8d6';
      const keyed = await startTarget({ apiKey });
      try {
        const names = await seedCollections(keyed);
        const env = (run: number) => artifacts.env({ runId: run });
        const backup = await runAction(
          {
            mode: 'backup',
            url: keyed.url,
            'api-key': apiKey,
            'encryption-key': KEY,
            'github-token': token,
            'artifact-name': 'secret-scan',
          },
          { env: env(9901) },
        );
        expect(backup.errors).toEqual([]);
        await keyed.call('DELETE', `/collections/${names.names.dense}`);
        const restore = await runAction(
          {
            mode: 'restore',
            url: keyed.url,
            'api-key': apiKey,
            'encryption-key': KEY,
            'github-token': token,
            'run-id': '9901',
            'artifact-name': 'secret-scan',
            collections: names.names.dense,
          },
          { env: env(9902) },
        );
        expect(restore.errors).toEqual([]);
        // A wrong key makes the server say 401: the error must not echo the key either.
        const denied = await runAction(
          { mode: 'backup', url: keyed.url, 'api-key': `${apiKey}-wrong` },
          { env: env(9903) },
        );
        expect(denied.code).toBe(1);
        expect(denied.errors[0]).toContain("Check 'api-key'");

        const written: { where: string; bytes: Buffer }[] = [];
        for (const [label, run] of [
          ['backup', backup],
          ['restore', restore],
          ['denied', denied],
        ] as [string, ActionRun][]) {
          // ::add-mask:: is how the runner learns what to mask; the runner never prints it.
          const masks = run.stdout.split('\n').filter((line) => line.startsWith('::add-mask::'));
          expect(masks.length).toBeGreaterThan(0);
          const stdout = run.stdout
            .split('\n')
            .filter((line) => !line.startsWith('::add-mask::'))
            .join('\n');
          written.push({ where: `${label} stdout`, bytes: Buffer.from(stdout) });
          written.push({ where: `${label} stderr`, bytes: Buffer.from(run.stderr) });
          for (const [file, text] of Object.entries(run.files))
            written.push({ where: `${label} ${file}`, bytes: Buffer.from(text) });
        }
        for (const dir of [backup.outputs.path!, restore.outputs.path!]) {
          for (const file of await readdir(dir, { recursive: true })) {
            const full = path.join(dir, file);
            written.push({ where: full, bytes: await readFile(full).catch(() => Buffer.alloc(0)) });
          }
        }
        for (const artifact of artifacts.artifacts()) {
          for (const [name, bytes] of await artifacts.readArtifactEntries(artifact.id))
            written.push({ where: `artifact ${name}`, bytes });
        }
        expect(written.length).toBeGreaterThan(10);
        for (const secret of [apiKey, token, KEY]) {
          const leaks = written.filter(({ bytes }) => bytes.includes(secret)).map(({ where }) => where);
          expect(leaks, `${secret} leaked`).toEqual([]);
        }
      } finally {
        await keyed.close();
      }
    },
    SCRYPT_TIMEOUT,
  );
});

// Faults are injected: these run on the emulator in every mode.
describe('faults are survived or reported, and nothing is lost (emulator)', () => {
  useSeededWorld({ emulator: true });
  const emu = () => target.emulator!;

  it('connection reset mid-download: retried, and the file verifies', async () => {
    emu().inject({ route: 'snapshot.download', collection: seeded.names.dense, resetAfterBytes: 1000 });
    const run = await act({ mode: 'backup', artifact: 'false' });
    expect(run.errors).toEqual([]);
    expect(run.warnings.join('\n')).toMatch(/connection .* broke .* Retrying/);
    const manifest = JSON.parse(await readFile(run.outputs.manifest!, 'utf8'));
    const dense = manifest.collections.find((c: { name: string }) => c.name === seeded.names.dense);
    expect(sha256(await readFile(path.join(run.outputs.path!, dense.files[0].file)))).toBe(
      dense.files[0].sha256,
    );
  });

  it('connection reset mid-upload: retried, and the restore verifies', async () => {
    const dir = await folder();
    await act({ mode: 'backup', artifact: 'false', path: dir });
    await dropSeeded();
    emu().inject({ route: 'snapshot.upload', collection: seeded.names.dense, resetAfterBytes: 2000 });
    const run = await act({ mode: 'restore', artifact: 'false', path: dir });
    expect(run.errors).toEqual([]);
    expect(run.outputs.verified).toBe('true');
  });

  it('bursts of 503 and 429 with Retry-After: waits, retries, succeeds', async () => {
    emu().inject({ route: 'collections.list', failNext: { count: 2, status: 503 } });
    emu().inject({ route: 'snapshot.download', failNext: { count: 2, status: 429, retryAfter: 1 } });
    const started = Date.now();
    const run = await act({ mode: 'backup', artifact: 'false' });
    expect(run.errors).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(run.warnings.filter((w) => w.includes('answered 503'))).toHaveLength(2);
    expect(run.warnings.filter((w) => w.includes('answered 429'))).toHaveLength(2);
  });

  it('a server that stops answering: the timeout fires, naming the collection and the elapsed time', async () => {
    emu().inject({ route: 'snapshot.create', collection: seeded.names.hybrid, hang: true });
    const run = await act({ mode: 'backup', artifact: 'false', timeout: '2' });
    expect(run.code).toBe(1);
    expect(run.errors[0]).toMatch(
      new RegExp(
        `${seeded.names.hybrid}: Qdrant did not finish POST /collections/${seeded.names.hybrid}/snapshots within 2 s \\(gave up after 2\\.\\d s\\)`,
      ),
    );
    const manifest = JSON.parse(await readFile(run.outputs.manifest!, 'utf8'));
    expect(manifest.complete).toBe(false);
    expect(manifest.collections).toHaveLength(2);
  });

  it('a wrong advertised checksum fails that collection and leaves no file behind', async () => {
    emu().inject({ route: 'snapshot.create', collection: seeded.names.aliased, wrongChecksum: true });
    const run = await act({ mode: 'backup', artifact: 'false' });
    expect(run.code).toBe(1);
    expect(run.errors[0]).toContain(`${seeded.names.aliased}: SHA-256 mismatch`);
    expect((await readdir(run.outputs.path!)).filter((f) => f.startsWith(seeded.names.aliased))).toEqual([]);
    expect(emu().snapshotFiles(seeded.names.aliased)).toEqual([]);
  });

  it('the server restarting in the middle of a backup: the download resumes after the restart', async () => {
    emu().inject({ route: 'snapshot.download', collection: seeded.names.dense, throttleBytesPerSec: 4000 });
    const running = act({ mode: 'backup', artifact: 'false', concurrency: '1' });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await emu().restart({ downMs: 500 });
    emu().clearFaults();
    const run = await running;
    expect(run.errors).toEqual([]);
    const manifest = JSON.parse(await readFile(run.outputs.manifest!, 'utf8'));
    for (const c of manifest.collections)
      expect(sha256(await readFile(path.join(run.outputs.path!, c.files[0].file)))).toBe(c.files[0].sha256);
    for (const name of Object.values(seeded.names)) expect(emu().snapshotFiles(name)).toEqual([]);
  }, 60_000);
});

// No fault is injected here: they run on a real node too (they read its snapshot folder).
describe.skipIf(SHARED_QDRANT)('the local side fails, and the server is left as it was', () => {
  useSeededWorld();
  it.skipIf(process.platform !== 'linux')(
    'a full disk (ENOSPC) fails clearly and leaves no partial file',
    async () => {
      const dir = await folder();
      await mkdir(dir, { recursive: true });
      // Writes to /dev/full fail with ENOSPC, as a full disk does.
      await symlink('/dev/full', path.join(dir, `${seeded.names.dense}.snapshot.partial`));
      const run = await act({ mode: 'backup', artifact: 'false', path: dir });
      expect(run.code).toBe(1);
      expect(run.errors[0]).toContain(`${seeded.names.dense}: The disk is full`);
      expect(run.errors[0]).toContain("point 'path' at a larger volume");
      expect((await readdir(dir)).filter((f) => f.startsWith(seeded.names.dense))).toEqual([]);
      expect(target.snapshotFiles!(seeded.names.dense)).toEqual([]);
    },
  );

  it('an artifact with a missing file fails before the server is touched', async () => {
    const run = ++runId;
    const dir = await folder();
    expect((await act({ mode: 'backup', artifact: 'false', path: dir })).errors).toEqual([]);
    // Upload the folder without one of its snapshot files, with the real artifact client.
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
    const kept = [
      'manifest.json',
      ...manifest.collections.slice(1).map((c: { files: { file: string }[] }) => c.files[0]!.file),
    ];
    const upload = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { DefaultArtifactClient } from '@actions/artifact'; const [root, ...files] = process.argv.slice(1); await new DefaultArtifactClient().uploadArtifact('qdrant-snapshots', files, root);",
        dir,
        ...kept.map((file) => path.join(dir, file)),
      ],
      { cwd: ROOT, env: { ...process.env, ...artifacts.env({ runId: run }) }, stdio: 'inherit' },
    );
    expect(await new Promise((resolve) => upload.on('close', resolve))).toBe(0);
    const watch = await watchChanges(target);
    const start = target.emulator?.requests.length ?? 0;
    const restore = await act({ mode: 'restore' }, run);
    expect(restore.code).toBe(1);
    expect(restore.errors[0]).toContain(`The backup is missing ${manifest.collections[0].files[0].file}`);
    if (target.emulator) expect(target.emulator.requests.length).toBe(start);
    expect(await watch.changes()).toEqual([]);
  });
});

describe('a URL that is not Qdrant gets a message that says so', () => {
  // No Qdrant at all here: the action meets other servers.
  let service: ArtifactService;
  beforeEach(async () => {
    service = await startArtifactService({ dataDir: await mkdtemp(path.join(os.tmpdir(), 'artifacts-')) });
  });
  afterEach(() => service.close());
  const backupFrom = (url: string) =>
    runAction({ mode: 'backup', url }, { env: service.env({ runId: ++runId }) });
  let server: http.Server;
  let url: string;
  async function serve(handler: http.RequestListener) {
    server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('an HTML page answering 200', async () => {
    await serve((_req, res) => res.end('<!doctype html><html><body>Dashboard</body></html>'));
    const run = await backupFrom(url);
    expect(run.code).toBe(1);
    expect(run.errors[0]).toContain(`${url} is not a Qdrant REST API`);
    expect(run.errors[0]).toContain('an HTML page');
  });

  it('a 404 everywhere', async () => {
    await serve((_req, res) => {
      res.statusCode = 404;
      res.end('Not Found');
    });
    const run = await backupFrom(url);
    expect(run.code).toBe(1);
    expect(run.errors[0]).toContain(`${url} is not a Qdrant REST API`);
  });

  it('TLS to a plain HTTP port', async () => {
    await serve((_req, res) => res.end('{}'));
    const run = await backupFrom(url.replace('http://', 'https://'));
    expect(run.code).toBe(1);
    expect(run.errors[0]).toMatch(
      /TLS handshake with https:\/\/127\.0\.0\.1:\d+ failed .* use an http:\/\/ URL/,
    );
  });

  it('nothing listening', async () => {
    await serve(() => {});
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const run = await backupFrom(url);
    expect(run.code).toBe(1);
    expect(run.errors[0]).toContain(`Cannot connect to Qdrant at ${url} (connection refused)`);
    expect(run.errors[0]).toContain('Is Qdrant running at that URL?');
  }, 60_000);
});
