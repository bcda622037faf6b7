import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactService } from '../artifact-service/index.js';
import { runAction } from '../helpers/run-action.js';
import { startSeededWorld, type SeededWorld } from '../helpers/world.js';
import {
  SHARED_QDRANT,
  seedCollections,
  startTarget,
  type Target,
  type TargetOptions,
} from '../helpers/target.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

let target: Target;
let artifacts: ArtifactService;
let seeded: Awaited<ReturnType<typeof seedCollections>>;
let runId = 1000;

let world: SeededWorld;

/** A seeded server for each test of the calling describe: a real one where there is one, unless faults need the emulator. */
function useSeededWorld(options: TargetOptions = {}) {
  beforeEach(async () => {
    world = await startSeededWorld(options);
    ({ target, artifacts, seeded } = world);
  });
  afterEach(() => world.close());
}

function backup(inputs: Record<string, string> = {}, run = ++runId) {
  return runAction(
    {
      mode: 'backup',
      url: target.url,
      'api-key': target.apiKey ?? '',
      collections: `${target.prefix}*`,
      ...inputs,
    },
    { env: artifacts.env({ runId: run }) },
  );
}

describe('mode: backup (main, bundled from src/, as the runner runs it)', () => {
  useSeededWorld();

  it('snapshots every collection, writes the manifest, uploads it byte-identical and cleans the server', async () => {
    const run = await backup();
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    const names = Object.values(seeded.names).sort();
    expect(JSON.parse(run.outputs.collections!)).toEqual(names);
    expect(run.outputs.points).toBe('47');

    const manifest = JSON.parse(await readFile(run.outputs.manifest!, 'utf8'));
    expect(manifest).toMatchObject({
      format: 'qdrant-snapshot-manifest',
      version: 2,
      complete: true,
      encryption: null,
      cluster: null,
    });
    expect(manifest.qdrant_version).toMatch(/^\d+\.\d+\.\d+/);
    const aliased = manifest.collections.find((c: { name: string }) => c.name === seeded.names.aliased);
    expect(aliased.aliases).toEqual([seeded.alias]);
    const hybrid = manifest.collections.find((c: { name: string }) => c.name === seeded.names.hybrid);
    expect(hybrid.config.params.vectors).toEqual({
      title: expect.objectContaining({ size: 3, distance: 'Dot' }),
    });
    expect(Object.keys(hybrid.config.params.sparse_vectors)).toEqual(['keywords']);
    expect(hybrid.config.hnsw_config).toMatchObject({ m: expect.any(Number) });
    expect(hybrid).toMatchObject({ level: 'collection', payload_schema: {}, written_during_backup: false });
    expect(hybrid.sharding).toEqual({
      method: 'auto',
      shard_number: 1,
      replication_factor: 1,
      shard_keys: [],
    });
    for (const c of manifest.collections) expect(c.points).toBe(seeded.points[c.name]);

    // The artifact holds exactly the folder, byte for byte, and the files hash to the manifest's values.
    const [stored] = artifacts.artifacts();
    expect(stored!.name).toBe('qdrant-snapshots');
    expect(run.outputs['artifact-id']).toBe(String(stored!.id));
    const entries = await artifacts.readArtifactEntries(stored!.id);
    expect([...entries.keys()].sort()).toEqual(
      [
        'manifest.json',
        ...manifest.collections.map((c: { files: { file: string }[] }) => c.files[0]!.file),
      ].sort(),
    );
    for (const c of manifest.collections) {
      const local = await readFile(path.join(run.outputs.path!, c.files[0].file));
      expect(entries.get(c.files[0].file)!.equals(local)).toBe(true);
      expect(sha256(local)).toBe(c.files[0].sha256);
      expect(c.files[0].snapshot_sha256).toBe(c.files[0].sha256);
    }
    expect(entries.get('manifest.json')!.equals(await readFile(run.outputs.manifest!))).toBe(true);

    // Server-side snapshots were deleted after download.
    for (const name of names) {
      const snapshots = await target.call<unknown[]>('GET', `/collections/${name}/snapshots`);
      expect(snapshots).toEqual([]);
    }
    // Collections run in parallel: each event is one line, live, prefixed with its collection.
    for (const name of names) {
      expect(run.stdout).toMatch(
        new RegExp(`^${name}: Snapshot ${name}-\\d+-[\\d-]+\\.snapshot created`, 'm'),
      );
    }
    expect(run.stdout).not.toContain('::group::');
    // The log ends with the table and a one-line result.
    const tail = run.stdout.slice(run.stdout.lastIndexOf('Qdrant backup\n'));
    expect(tail).toMatch(new RegExp(`^${seeded.names.dense} +30 +`, 'm'));
    expect(tail).toMatch(/^Backup complete: 3 collections, 47 points, .*\.$/m);
    // The artifact's page, as upload-artifact gives it.
    const { GITHUB_REPOSITORY: repo } = artifacts.env({ runId });
    const url = `https://github.com/${repo}/actions/runs/${runId}/artifacts/${stored!.id}`;
    expect(run.outputs['artifact-url']).toBe(url);
    expect(run.summary).toContain(`[**qdrant-snapshots**](${url})`);
    expect(run.summary).toContain('## Qdrant backup');
    expect(run.summary).toContain('**Backup complete: 3 collections, 47 points,');
    // Numbers right-aligned.
    expect(run.summary).toContain(
      '| Collection | Points | Size | Duration | SHA-256 |\n| --- | ---: | ---: | ---: | --- |',
    );
    expect(run.summary).toContain(`| ${seeded.names.dense} | 30 |`);
    expect(run.summary).toContain(`id ${stored!.id}`);
    expect(run.summary).toMatch(/Qdrant \d+\.\d+\.\d+/);
  });

  // Reads the server's snapshot folder: an emulator or a node started here, not a shared server.
  it.skipIf(SHARED_QDRANT)(
    'stores what the server served, byte for byte (keep-server-snapshots)',
    async () => {
      const run = await backup({ 'keep-server-snapshots': 'true', artifact: 'false' });
      expect(run.code).toBe(0);
      const manifest = JSON.parse(await readFile(run.outputs.manifest!, 'utf8'));
      const snapshotsDir = target.emulator?.snapshotsDir ?? target.node!.snapshotsDir;
      for (const c of manifest.collections) {
        const [served] = target.snapshotFiles!(c.name);
        expect(served).toBeDefined();
        const onServer = await readFile(path.join(snapshotsDir, c.name, served!));
        expect(onServer.equals(await readFile(path.join(run.outputs.path!, c.files[0].file)))).toBe(true);
      }
      expect(artifacts.artifacts()).toEqual([]);
    },
  );

  it('applies collections and exclude globs', async () => {
    const run = await backup({
      collections: `${target.prefix}*`,
      exclude: `*hybrid\n*aliased`,
      artifact: 'false',
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.outputs.collections!)).toEqual([seeded.names.dense]);
    expect(await readdir(run.outputs.path!)).toEqual(
      ['manifest.json', `${seeded.names.dense}.snapshot`].sort(),
    );
  });

  it('fails on a collection name that does not exist, listing those that do', async () => {
    const run = await backup({ collections: `${target.prefix}dense,${target.prefix}nope` });
    expect(run.code).toBe(1);
    expect(run.errors[0]).toContain(
      `names "${target.prefix}nope", which the server at ${target.url} does not have`,
    );
    expect(run.errors[0]).toContain(seeded.names.hybrid);
    expect(artifacts.artifacts()).toEqual([]);
  });

  it.skipIf(SHARED_QDRANT)('fails with "No collections found" on an empty server', async () => {
    const empty = await startTarget();
    try {
      const run = await runAction(
        { mode: 'backup', url: empty.url },
        { env: artifacts.env({ runId: ++runId }) },
      );
      expect(run.code).toBe(1);
      expect(run.errors[0]).toContain(`No collections found at ${empty.url}`);
    } finally {
      await empty.close();
    }
  });

  it('refuses to reuse an artifact name within a run, keeping the backup on disk', async () => {
    const run = ++runId;
    expect((await backup({}, run)).code).toBe(0);
    const second = await backup({ path: path.join(os.tmpdir(), `second-${run}-${Date.now()}`) }, run);
    expect(second.code).toBe(1);
    expect(second.errors[0]).toContain("An artifact named 'qdrant-snapshots' already exists in this run");
    expect(second.errors[0]).toContain("set 'artifact-name'");
    expect(await readdir(second.outputs.path!)).toContain('manifest.json');
    // The backup itself was complete: the summary says what it holds, and why the upload failed.
    expect(second.summary).toContain('## Qdrant backup');
    expect(second.summary).toContain(`| ${seeded.names.dense} | 30 |`);
    expect(second.summary).toContain('❌ Artifact upload failed: Uploading artifact');
    expect(second.outputs['artifact-url']).toBeUndefined();
  }, 90_000);

  it('exits 1 naming the input when mode is wrong', async () => {
    const run = await runAction({ mode: 'frobnicate' });
    expect(run.code).toBe(1);
    expect(run.errors).toEqual(['Input \'mode\' got "frobnicate"; it accepts one of: backup, restore.']);
  });
});

// Faults are injected: these run on the emulator in every mode.
describe('mode: backup, with faults injected (emulator)', () => {
  useSeededWorld({ emulator: true });

  it.each(['sample', 'full'])(
    'fingerprint: %s: a point changed while the snapshot is made is reported, and no fingerprint recorded',
    async (fingerprint) => {
      const hybrid = seeded.names.hybrid;
      const creation = target.emulator!.inject({
        route: 'snapshot.create',
        collection: hybrid,
        latencyMs: 1500,
      });
      const pending = backup({ collections: hybrid, fingerprint });
      // The first fingerprint is taken before the creation is asked for: change a point meanwhile.
      while (creation.hits === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const [record] = await target.call<{ vector: unknown; payload: Record<string, unknown> }[]>(
        'POST',
        `/collections/${hybrid}/points`,
        { ids: [105], with_payload: true, with_vector: true },
      );
      await target.call('PUT', `/collections/${hybrid}/points?wait=true`, {
        points: [{ id: 105, vector: record!.vector, payload: { ...record!.payload, title: 'changed' } }],
      });
      const run = await pending;
      expect(run.errors).toEqual([]);
      expect(run.stdout).toContain(`Collection ${hybrid} was written to during the backup`);
      expect(run.stdout).toContain('the content changed');
      const [entry] = JSON.parse(await readFile(run.outputs.manifest!, 'utf8')).collections;
      expect(entry).toMatchObject({ name: hybrid, written_during_backup: true, fingerprint: null });
    },
  );

  it('a server that refuses sample: random (Qdrant before 1.11) gets a sample of the first ids', async () => {
    const hybrid = seeded.names.hybrid;
    const refusal = target.emulator!.inject({
      route: 'points.query',
      collection: hybrid,
      failNext: { count: 10, status: 400, message: 'Format error in JSON body: unknown variant `sample`' },
    });
    const run = await backup({ collections: hybrid });
    expect(run.errors).toEqual([]);
    expect(refusal.hits).toBeGreaterThan(0);
    const [entry] = JSON.parse(await readFile(run.outputs.manifest!, 'utf8')).collections;
    expect(entry.written_during_backup).toBe(false);
    expect(entry.fingerprint).toMatchObject({ scope: 'sample', points: 12 });
    expect(entry.fingerprint.sample.ids).toEqual(Array.from({ length: 12 }, (_, i) => 100 + i));
  });

  it('keeps going when one collection fails, uploads the rest as incomplete, then fails naming it', async () => {
    target.emulator!.inject({
      route: 'snapshot.create',
      collection: seeded.names.hybrid,
      failNext: { count: 20, status: 500, message: 'disk on fire' },
    });
    const run = await backup({}, ++runId);
    expect(run.code).toBe(1);
    expect(run.errors[0]).toContain(`${seeded.names.hybrid}: Qdrant answered 500`);
    expect(run.errors[0]).toContain('disk on fire');
    const manifest = JSON.parse(await readFile(run.outputs.manifest!, 'utf8'));
    expect(manifest.complete).toBe(false);
    expect(manifest.collections.map((c: { name: string }) => c.name).sort()).toEqual([
      seeded.names.aliased,
      seeded.names.dense,
    ]);
    expect(manifest.failed).toEqual([{ name: seeded.names.hybrid, error: expect.stringContaining('500') }]);
    expect(artifacts.artifacts()).toHaveLength(1);
    // An error column, the error once and without a doubled period.
    expect(run.summary).toContain('| Duration | SHA-256 | Error |');
    expect(run.summary).toMatch(
      new RegExp(`\\| ${seeded.names.hybrid} \\| — \\| — \\| — \\| — \\| ❌ [^|]*disk on fire[^|]*[^.] \\|`),
    );
    expect(run.summary).not.toContain('..');
    expect(run.errors[0]).not.toContain('..');
    expect(run.summary).toContain(`**Backup incomplete: 1 of 3 collections failed (${seeded.names.hybrid})`);
  }, 60_000);

  it('downloads again when the bytes do not match the advertised checksum', async () => {
    target.emulator!.inject({
      route: 'snapshot.download',
      collection: seeded.names.dense,
      flipByteAt: 100,
      times: 1,
    });
    const run = await backup({ artifact: 'false' });
    expect(run.code).toBe(0);
    expect(run.warnings.join('\n')).toMatch(/SHA-256 mismatch .* Downloading once more/);
    const manifest = JSON.parse(await readFile(run.outputs.manifest!, 'utf8'));
    const dense = manifest.collections.find((c: { name: string }) => c.name === seeded.names.dense);
    expect(sha256(await readFile(path.join(run.outputs.path!, dense.files[0].file)))).toBe(
      dense.files[0].sha256,
    );
  });

  it('fails the collection when the second download is corrupted too, leaving no partial file', async () => {
    target.emulator!.inject({
      route: 'snapshot.download',
      collection: seeded.names.dense,
      flipByteAt: 100,
      times: 2,
    });
    const run = await backup({ artifact: 'false' });
    expect(run.code).toBe(1);
    expect(run.errors[0]).toContain(`${seeded.names.dense}: SHA-256 mismatch`);
    const files = await readdir(run.outputs.path!);
    expect(files.some((f) => f.includes('partial') || f.startsWith(seeded.names.dense))).toBe(false);
    expect(target.emulator!.snapshotFiles(seeded.names.dense)).toEqual([]);
  });
});
