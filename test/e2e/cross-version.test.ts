// A backup made by the action on the previous Qdrant release (QDRANT_BINARY_PREVIOUS, 1.18.3) restored
// and verified by the action on the newest one (QDRANT_BINARY, 1.19.0): the next minor version, which
// the version rule allows.
import { mkdtemp, readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QDRANT_BINARY, QDRANT_BINARY_PREVIOUS } from '../helpers/qdrant-process.js';
import { runAction } from '../helpers/run-action.js';
import { allPoints, seedCollections, startTarget, type Target } from '../helpers/target.js';

const targets: Target[] = [];
afterEach(async () => {
  for (const target of targets.splice(0)) await target.close();
});

describe.skipIf(!QDRANT_BINARY || !QDRANT_BINARY_PREVIOUS)('across Qdrant versions (real servers)', () => {
  it('a backup made on the previous release restores and verifies on the newest', async () => {
    const older = await startTarget({ binary: QDRANT_BINARY_PREVIOUS, apiKey: 'older-key-0a1b2c' });
    targets.push(older);
    const newer = await startTarget({ binary: QDRANT_BINARY });
    targets.push(newer);
    const [olderVersion, newerVersion] = [older.node!.version, newer.node!.version];
    const [oMajor, oMinor] = olderVersion.split('.').map(Number);
    const [nMajor, nMinor] = newerVersion.split('.').map(Number);
    // The pair this test is about: the newer server is the next minor version of the older one.
    expect(nMajor).toBe(oMajor);
    expect(nMinor).toBe(oMinor! + 1);

    const seeded = await seedCollections(older);
    const before = new Map<string, unknown[]>();
    for (const name of Object.values(seeded.names)) before.set(name, await allPoints(older, name));

    const folder = path.join(await mkdtemp(path.join(os.tmpdir(), 'cross-version-')), 'backup');
    const backup = await runAction({
      mode: 'backup',
      url: older.url,
      'api-key': older.apiKey!,
      artifact: 'false',
      path: folder,
    });
    expect(backup.errors).toEqual([]);
    expect(backup.code).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8'));
    expect(manifest.qdrant_version).toBe(olderVersion);

    const restore = await runAction({ mode: 'restore', url: newer.url, artifact: 'false', path: folder });
    expect(restore.errors).toEqual([]);
    expect(restore.code).toBe(0);
    expect(restore.outputs.verified).toBe('true');
    expect(restore.outputs.points).toBe('47');
    for (const [name, points] of before) expect(await allPoints(newer, name)).toEqual(points);
    const { aliases } = await newer.call<{ aliases: { alias_name: string; collection_name: string }[] }>(
      'GET',
      '/aliases',
    );
    expect(aliases).toContainEqual({ alias_name: seeded.alias, collection_name: seeded.names.aliased });
    expect(restore.summary).toContain(`Qdrant ${newerVersion}`);
  }, 90_000);
});
