// A Qdrant that keeps its snapshots in S3 answers snapshot creation without a checksum and streams
// downloads without Content-Length: the action backs it up all the same (the SHA-256 computed here
// goes into the manifest) and the backup restores and verifies. A real node with a versitygw bucket
// when QDRANT_BINARY and VERSITYGW_BINARY are set, else the emulator's S3 mode.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runAction } from '../helpers/run-action.js';
import { allPoints, seedCollections, startTarget, type Target } from '../helpers/target.js';

const targets: Target[] = [];
afterEach(async () => {
  for (const target of targets.splice(0)) await target.close();
});

describe('a server that keeps its snapshots in S3', () => {
  it('is backed up with checksums computed here, and the backup restores and verifies', async () => {
    const source = await startTarget({ s3Snapshots: true });
    targets.push(source);
    const seeded = await seedCollections(source);
    // What makes this server different: no checksum in the create answer.
    const probe = await source.call<{ name: string; checksum?: string }>(
      'POST',
      `/collections/${seeded.names.dense}/snapshots?wait=true`,
    );
    expect(probe.checksum).toBeUndefined();
    await source.call('DELETE', `/collections/${seeded.names.dense}/snapshots/${probe.name}`);

    const folder = path.join(await mkdtemp(path.join(os.tmpdir(), 's3-snapshots-')), 'backup');
    const backup = await runAction({
      mode: 'backup',
      url: source.url,
      collections: `${source.prefix}*`,
      artifact: 'false',
      path: folder,
    });
    expect(backup.errors).toEqual([]);
    expect(backup.code).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(folder, 'manifest.json'), 'utf8'));
    for (const c of manifest.collections) {
      for (const f of c.files) {
        const bytes = await readFile(path.join(folder, f.file));
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
        expect(bytes.length).toBe(f.size);
      }
      expect(await source.call('GET', `/collections/${c.name}/snapshots`)).toEqual([]);
    }

    // The emulator's snapshots restore only on an emulator.
    const dest = await startTarget({ emulator: Boolean(source.emulator) });
    targets.push(dest);
    const restore = await runAction({ mode: 'restore', url: dest.url, artifact: 'false', path: folder });
    expect(restore.errors).toEqual([]);
    expect(restore.outputs.verified).toBe('true');
    for (const name of Object.values(seeded.names))
      expect(await allPoints(dest, name)).toEqual(await allPoints(source, name));
  }, 90_000);
});
