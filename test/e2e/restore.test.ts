import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startArtifactService, type ArtifactService } from '../artifact-service/index.js';
import { runAction } from '../helpers/run-action.js';
import {
  SHARED_QDRANT,
  allPoints,
  seedCollections,
  startTarget,
  watchChanges,
  type Target,
  type TargetOptions,
} from '../helpers/target.js';

let source: Target;
let dest: Target;
let artifacts: ArtifactService;
let seeded: Awaited<ReturnType<typeof seedCollections>>;
let before: Map<string, unknown[]>;
let runId = 5000;

/**
 * A seeded source and an empty destination for each test of the calling describe: real servers where
 * there are, unless faults need the emulator. A shared server (QDRANT_URL) is both.
 */
function useServers(options: TargetOptions = {}) {
  beforeEach(async () => {
    source = await startTarget(options);
    dest = SHARED_QDRANT && !options.emulator ? source : await startTarget(options);
    artifacts = await startArtifactService({ dataDir: await mkdtemp(path.join(os.tmpdir(), 'artifacts-')) });
    seeded = await seedCollections(source);
    before = new Map();
    for (const name of Object.values(seeded.names)) before.set(name, await allPoints(source, name));
  });

  afterEach(async () => {
    await source.close();
    if (dest !== source) await dest.close();
    await artifacts.close();
  });
}

async function backup(inputs: Record<string, string> = {}, run = ++runId) {
  const result = await runAction(
    {
      mode: 'backup',
      url: source.url,
      'api-key': source.apiKey ?? '',
      collections: `${source.prefix}*`,
      ...inputs,
    },
    { env: artifacts.env({ runId: run }) },
  );
  expect(result.errors).toEqual([]);
  // One server only (a shared Qdrant): make room for the restore.
  if (dest === source) {
    await source.call('POST', '/collections/aliases', {
      actions: [{ delete_alias: { alias_name: seeded.alias } }],
    });
    for (const name of Object.values(seeded.names)) await source.call('DELETE', `/collections/${name}`);
  }
  return result;
}

function restore(inputs: Record<string, string> = {}, run = ++runId) {
  return runAction(
    { mode: 'restore', url: dest.url, 'api-key': dest.apiKey ?? '', ...inputs },
    { env: artifacts.env({ runId: run }) },
  );
}

async function expectRestoredExactly(names: Record<string, string> = {}) {
  for (const [name, points] of before) {
    const target = names[name] ?? name;
    expect(await allPoints(dest, target)).toEqual(points);
    expect(await dest.call<unknown[]>('GET', `/collections/${target}/snapshots`)).toEqual([]);
  }
}

describe('mode: restore (main, bundled from src/, as the runner runs it)', () => {
  useServers();

  it('restores the artifact of this run, recreates the alias, verifies, and reports', async () => {
    const run = ++runId;
    await backup({}, run);
    const result = await restore({ collections: `${source.prefix}*` }, run);
    expect(result.errors).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.outputs.verified).toBe('true');
    expect(result.outputs.points).toBe('47');
    expect(JSON.parse(result.outputs.collections!)).toEqual(Object.values(seeded.names).sort());
    await expectRestoredExactly();
    const { aliases } = await dest.call<{ aliases: { alias_name: string; collection_name: string }[] }>(
      'GET',
      '/aliases',
    );
    expect(aliases).toContainEqual({ alias_name: seeded.alias, collection_name: seeded.names.aliased });
    expect(result.summary).toContain('## Qdrant restore');
    expect(result.summary).toContain(`| ${seeded.names.dense} | 30 |`);
    expect(result.summary.match(/✅ verified/g)).toHaveLength(3);
  });

  it("restores another run's artifact with run-id", async () => {
    await backup({}, 501);
    const result = await restore({ 'run-id': '501', 'github-token': 'ghs_test_token' }, 601);
    expect(result.errors).toEqual([]);
    expect(result.outputs.verified).toBe('true');
    // The summary links the run the backup came from.
    const { GITHUB_REPOSITORY: repo } = artifacts.env({ runId: 601 });
    expect(result.summary).toContain(`Source run: [501](https://github.com/${repo}/actions/runs/501)`);
    expect(result.summary).toContain("artifact 'qdrant-snapshots' of run 501");
    await expectRestoredExactly();
  });

  it('restores the newest successful run of a workflow that still has the artifact', async () => {
    artifacts.addWorkflowRun({
      id: 701,
      workflow: 'backup.yml',
      branch: 'main',
      conclusion: 'success',
      createdAt: '2026-11-01T00:00:00Z',
    });
    artifacts.addWorkflowRun({
      id: 702,
      workflow: 'backup.yml',
      branch: 'main',
      conclusion: 'failure',
      createdAt: '2026-11-02T00:00:00Z',
    });
    artifacts.addWorkflowRun({
      id: 703,
      workflow: 'backup.yml',
      branch: 'main',
      conclusion: 'success',
      createdAt: '2026-11-03T00:00:00Z',
    });
    await backup({}, 701);
    // The newest successful run has no artifact of that name: it is passed over.
    const result = await restore(
      { workflow: 'backup.yml', branch: 'main', 'github-token': 'ghs_test_token' },
      801,
    );
    expect(result.errors).toEqual([]);
    expect(result.stdout).toContain('run 701');
    expect(result.outputs.verified).toBe('true');
    await expectRestoredExactly();
  });

  it('names what it looked for when no run has the artifact', async () => {
    artifacts.addWorkflowRun({ id: 711, workflow: 'backup.yml', branch: 'main', conclusion: 'success' });
    const result = await restore(
      { workflow: 'backup.yml', branch: 'main', 'github-token': 'ghs_test_token' },
      811,
    );
    expect(result.code).toBe(1);
    expect(result.errors[0]).toContain(
      "No backup found: looked for artifact 'qdrant-snapshots' in successful runs of workflow backup.yml on branch main",
    );
    expect(result.errors[0]).toContain('inspected 1 run(s) (711)');
    const unknown = await restore({ workflow: 'nightly.yml', 'github-token': 'ghs_test_token' }, 812);
    expect(unknown.errors[0]).toContain('Workflow nightly.yml was not found in octo/repo');
  });

  it('restores a local folder (artifact: false) under new names with rename', async () => {
    const folder = path.join(await mkdtemp(path.join(os.tmpdir(), 'folder-')), 'backup');
    await backup({ artifact: 'false', path: folder });
    const renamed = { [seeded.names.dense]: `${source.prefix}dense_copy` };
    const result = await restore({
      artifact: 'false',
      path: folder,
      rename: `${seeded.names.dense}=${source.prefix}dense_copy`,
    });
    expect(result.errors).toEqual([]);
    expect(JSON.parse(result.outputs.collections!)).toContain(`${source.prefix}dense_copy`);
    await expectRestoredExactly(renamed);
    expect(result.summary).toContain(`${seeded.names.dense} → ${source.prefix}dense_copy`);
  });

  describe('if-exists', () => {
    let folder: string;
    beforeEach(async () => {
      folder = path.join(await mkdtemp(path.join(os.tmpdir(), 'folder-')), 'backup');
      await backup({ artifact: 'false', path: folder });
      // The target already holds a (different) collection of that name.
      await dest.call('PUT', `/collections/${seeded.names.dense}`, { vectors: { size: 4, distance: 'Dot' } });
      await dest.call('PUT', `/collections/${seeded.names.dense}/points?wait=true`, {
        points: [{ id: 999, vector: [1, 2, 3, 4] }],
      });
    });

    it('fail (default) touches nothing and says how to proceed', async () => {
      const watch = await watchChanges(dest);
      const result = await restore({ artifact: 'false', path: folder });
      expect(result.code).toBe(1);
      expect(result.errors[0]).toContain(
        `Nothing was restored: collection ${seeded.names.dense} already exist(s)`,
      );
      expect(result.errors[0]).toContain("Set 'if-exists' to skip (keep them) or overwrite (replace them)");
      expect(
        await dest.call('POST', `/collections/${seeded.names.dense}/points/count`, { exact: true }),
      ).toEqual({ count: 1 });
      expect(await watch.changes()).toEqual([]);
    });

    it('skip keeps the existing collection and restores the rest', async () => {
      const result = await restore({ artifact: 'false', path: folder, 'if-exists': 'skip' });
      expect(result.errors).toEqual([]);
      expect(
        await dest.call('POST', `/collections/${seeded.names.dense}/points/count`, { exact: true }),
      ).toEqual({ count: 1 });
      expect(await allPoints(dest, seeded.names.hybrid)).toEqual(before.get(seeded.names.hybrid));
      expect(result.summary).toContain('skipped');
    });

    it('overwrite replaces it and verifies', async () => {
      const result = await restore({ artifact: 'false', path: folder, 'if-exists': 'overwrite' });
      expect(result.errors).toEqual([]);
      expect(result.outputs.verified).toBe('true');
      await expectRestoredExactly();
    });
    it('overwrite of a collection with other vectors: replaced by the backup, the rest restored', async () => {
      await dest.call('PUT', `/collections/${seeded.names.hybrid}`, {
        vectors: { size: 5, distance: 'Dot' },
      });
      await dest.call('PUT', `/collections/${seeded.names.hybrid}/points?wait=true`, {
        points: [{ id: 7, vector: [1, 2, 3, 4, 5] }],
      });
      const result = await restore({ artifact: 'false', path: folder, 'if-exists': 'overwrite' });
      expect(result.errors).toEqual([]);
      expect(result.outputs.verified).toBe('true');
      await expectRestoredExactly();
    });
  });

  it('overwrite makes the collection exactly what the backup holds: config and payload indexes', async () => {
    const { hybrid } = seeded.names;
    await source.call('PUT', `/collections/${hybrid}/index?wait=true`, {
      field_name: 'title',
      field_schema: 'keyword',
    });
    const recorded = await source.call<{ config: Record<string, unknown>; payload_schema: unknown }>(
      'GET',
      `/collections/${hybrid}`,
    );
    const folder = path.join(await mkdtemp(path.join(os.tmpdir(), 'folder-')), 'backup');
    await backup({ artifact: 'false', path: folder, fingerprint: 'full' });
    // The target holds a collection of that name with another HNSW m, int8 quantization, no payload index.
    await dest.call('PUT', `/collections/${hybrid}`, {
      vectors: { title: { size: 3, distance: 'Dot' } },
      sparse_vectors: { keywords: {} },
      hnsw_config: { m: 4 },
      quantization_config: { scalar: { type: 'int8', always_ram: true } },
    });
    await dest.call('PUT', `/collections/${hybrid}/points?wait=true`, {
      points: [{ id: 1, vector: { title: [1, 2, 3] } }],
    });
    const result = await restore({
      artifact: 'false',
      path: folder,
      collections: hybrid,
      'if-exists': 'overwrite',
      verify: 'full',
    });
    expect(result.errors).toEqual([]);
    expect(result.outputs.verified).toBe('true');
    expect(result.stdout).toContain("created again with the backup's config and payload indexes");
    const restored = await dest.call<{ config: Record<string, unknown>; payload_schema: unknown }>(
      'GET',
      `/collections/${hybrid}`,
    );
    for (const section of ['params', 'hnsw_config', 'optimizer_config', 'quantization_config']) {
      expect(restored.config[section] ?? null, section).toEqual(recorded.config[section] ?? null);
    }
    expect(restored.config.quantization_config ?? null).toBeNull();
    expect((restored.config.hnsw_config as { m: number }).m).toBe(16);
    const types = (schema: unknown) =>
      Object.fromEntries(
        Object.entries(schema as Record<string, { data_type: string }>).map(([f, i]) => [f, i.data_type]),
      );
    expect(types(restored.payload_schema)).toEqual({ title: 'keyword' });
    expect(types(restored.payload_schema)).toEqual(types(recorded.payload_schema));
    expect(await allPoints(dest, hybrid)).toEqual(before.get(hybrid));
  });

  it("an alias of the backup taken on the server: refused, advising 'aliases: false' (rename cannot help)", async () => {
    const folder = path.join(await mkdtemp(path.join(os.tmpdir(), 'folder-')), 'backup');
    await backup({ artifact: 'false', path: folder });
    // The backup's alias name now points at another collection of the user's.
    const other = `${dest === source ? source.prefix : ''}other`;
    await dest.call('PUT', `/collections/${other}`, { vectors: { size: 4, distance: 'Dot' } });
    await dest.call('POST', '/collections/aliases', {
      actions: [{ create_alias: { collection_name: other, alias_name: seeded.alias } }],
    });
    try {
      const result = await restore({ artifact: 'false', path: folder });
      expect(result.code).toBe(1);
      expect(result.errors[0]).toContain(`alias ${seeded.alias} (points at ${other})`);
      expect(result.errors[0]).toContain("or leave the backup's aliases out with aliases: false");
      const retried = await restore({ artifact: 'false', path: folder, aliases: 'false' });
      expect(retried.errors).toEqual([]);
    } finally {
      await dest.call('POST', '/collections/aliases', {
        actions: [{ delete_alias: { alias_name: seeded.alias } }],
      });
      await dest.call('DELETE', `/collections/${other}`);
    }
  });

  describe('a backed-up name that is an alias on the server', () => {
    let folder: string;
    let catalog: string;
    beforeEach(async () => {
      folder = path.join(await mkdtemp(path.join(os.tmpdir(), 'folder-')), 'backup');
      await backup({ artifact: 'false', path: folder });
      // The user's own collection, reached through an alias that has a backed-up collection's name:
      // Qdrant resolves an upload to that name into this collection.
      catalog = `${dest === source ? source.prefix : ''}catalog`;
      await dest.call('PUT', `/collections/${catalog}`, { vectors: { size: 4, distance: 'Dot' } });
      await dest.call('PUT', `/collections/${catalog}/points?wait=true`, {
        points: Array.from({ length: 5 }, (_, i) => ({ id: 900 + i, vector: [1, 2, 3, i] })),
      });
      await dest.call('POST', '/collections/aliases', {
        actions: [{ create_alias: { collection_name: catalog, alias_name: seeded.names.dense } }],
      });
    });
    afterEach(async () => {
      await dest.call('POST', '/collections/aliases', {
        actions: [{ delete_alias: { alias_name: seeded.names.dense } }],
      });
      await dest.call('DELETE', `/collections/${catalog}`);
    });

    async function expectCatalogUntouched() {
      expect(await dest.call('POST', `/collections/${catalog}/points/count`, { exact: true })).toEqual({
        count: 5,
      });
      const { aliases } = await dest.call<{ aliases: { alias_name: string; collection_name: string }[] }>(
        'GET',
        '/aliases',
      );
      expect(aliases.find((a) => a.alias_name === seeded.names.dense)?.collection_name).toBe(catalog);
    }

    it.each(['fail', 'overwrite'])('if-exists: %s refuses and writes nothing', async (ifExists) => {
      const result = await restore({ artifact: 'false', path: folder, 'if-exists': ifExists });
      expect(result.code).toBe(1);
      expect(result.errors[0]).toContain('Nothing was restored');
      expect(result.errors[0]).toContain(seeded.names.dense);
      expect(result.errors[0]).toContain(`collection ${catalog}`);
      await expectCatalogUntouched();
      const { collections } = await dest.call<{ collections: { name: string }[] }>('GET', '/collections');
      expect(collections.map((c) => c.name)).not.toContain(seeded.names.hybrid);
    });

    it('if-exists: skip leaves the aliased collection alone and restores the rest', async () => {
      const result = await restore({ artifact: 'false', path: folder, 'if-exists': 'skip' });
      expect(result.errors).toEqual([]);
      expect(result.stdout).toContain(`${seeded.names.dense} is an alias of collection ${catalog}; skipped`);
      await expectCatalogUntouched();
      expect(await allPoints(dest, seeded.names.hybrid)).toEqual(before.get(seeded.names.hybrid));
    });
  });

  describe('a backup that cannot be trusted leaves the server untouched', () => {
    let folder: string;
    let manifest: { collections: { name: string; files: { file: string }[] }[] };
    beforeEach(async () => {
      folder = path.join(await mkdtemp(path.join(os.tmpdir(), 'folder-')), 'backup');
      await backup({ artifact: 'false', path: folder });
      manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8'));
    });

    async function expectRefused(message: RegExp | string) {
      const watch = await watchChanges(dest);
      const result = await restore({ artifact: 'false', path: folder });
      expect(result.code).toBe(1);
      expect(result.errors[0]).toMatch(message);
      // The emulator proves no request at all reached it; a real server, that it holds what it held.
      if (dest.emulator) expect(dest.emulator.requests).toEqual([]);
      expect(await watch.changes()).toEqual([]);
    }

    it('a corrupted file', async () => {
      const file = path.join(folder, manifest.collections[0]!.files[0]!.file);
      const bytes = await readFile(file);
      bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
      await writeFile(file, bytes);
      await expectRefused(
        /has SHA-256 [0-9a-f]{64}; the manifest records [0-9a-f]{64}\. The file is damaged/,
      );
    });

    it('a missing file', async () => {
      await rm(path.join(folder, manifest.collections[1]!.files[0]!.file));
      await expectRefused(`The backup is missing ${manifest.collections[1]!.files[0]!.file}`);
    });

    it('a manifest with ../ in a file name', async () => {
      const text = await readFile(path.join(folder, 'manifest.json'), 'utf8');
      await writeFile(
        path.join(folder, 'manifest.json'),
        text.replace(`"${manifest.collections[0]!.files[0]!.file}"`, '"../../etc/passwd"'),
      );
      await expectRefused(/file name "..\/..\/etc\/passwd" is not a plain file name/);
    });

    it('a manifest that is not JSON', async () => {
      await writeFile(path.join(folder, 'manifest.json'), '{"format": "qdrant-snapshot-manifest", ');
      await expectRefused(/manifest.json is not valid JSON/);
    });
  });

  // The backup comes from the source (a real node with QDRANT_BINARY); only an emulator can claim to be
  // a version two minors later.
  it('refuses a server two minor versions away, naming both versions', async () => {
    const folder = path.join(await mkdtemp(path.join(os.tmpdir(), 'folder-')), 'backup');
    await backup({ artifact: 'false', path: folder });
    const made = (
      JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8')) as { qdrant_version: string }
    ).qdrant_version;
    const [major, minor] = made.split('.').map(Number) as [number, number];
    const far = `${major}.${minor + 2}.0`;
    const newer = await startTarget({ version: far });
    try {
      const watch = await watchChanges(newer);
      const result = await runAction({ mode: 'restore', url: newer.url, artifact: 'false', path: folder });
      expect(result.code).toBe(1);
      expect(result.errors[0]).toContain(
        `The backup was made with Qdrant ${made}; the server at ${newer.url} runs ${far}`,
      );
      expect(result.errors[0]).toContain(`${major}.${minor}.x or ${major}.${minor + 1}.x`);
      expect(await watch.changes()).toEqual([]);
    } finally {
      await newer.close();
    }
  });
});

// A fault is injected: this runs on the emulator in every mode.
describe('mode: restore, with faults injected (emulator)', () => {
  useServers({ emulator: true });

  it('fails verification with both numbers when the server loses points, keeping the collection', async () => {
    const folder = path.join(await mkdtemp(path.join(os.tmpdir(), 'folder-')), 'backup');
    await backup({ artifact: 'false', path: folder });
    dest.emulator!.inject({
      route: 'snapshot.upload',
      collection: seeded.names.dense,
      recoverKeepFraction: 0.5,
    });
    const result = await restore({ artifact: 'false', path: folder });
    expect(result.code).toBe(1);
    expect(result.outputs.verified).toBe('false');
    expect(result.errors[0]).toContain('Verification failed');
    expect(result.errors[0]).toContain(`${seeded.names.dense}: points: expected 30, found 15`);
    expect(
      await dest.call('POST', `/collections/${seeded.names.dense}/points/count`, { exact: true }),
    ).toEqual({ count: 15 });
    expect(result.summary).toContain('❌ points: expected 30, found 15');
  });
});
