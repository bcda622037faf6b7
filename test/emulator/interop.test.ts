// Interop: the official @qdrant/js-client-rest 1.19 talks to the emulator as to a Qdrant server.
import fsp from 'node:fs/promises';
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEmulator, type Emulator } from './index.js';
import { tempDir } from './helpers.js';

let emu: Emulator;
let dir: string;
let client: QdrantClient;

beforeAll(async () => {
  dir = await tempDir();
  emu = await startEmulator({ dataDir: dir });
  client = new QdrantClient({ url: emu.url, checkCompatibility: true });
});

afterAll(async () => {
  await emu.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('@qdrant/js-client-rest against the emulator', () => {
  it('collections, points, aliases, snapshots, recovery', async () => {
    expect(await client.versionInfo()).toMatchObject({ version: '1.19.0' });
    expect(await client.createCollection('a', { vectors: { size: 3, distance: 'Cosine' } })).toBe(true);
    await client.upsert('a', { wait: true, points: [{ id: 1, vector: [1, 2, 3], payload: { x: 1 } }] });
    expect(await client.count('a', { exact: true })).toEqual({ count: 1 });
    expect(
      await client.updateCollectionAliases({
        actions: [{ create_alias: { collection_name: 'a', alias_name: 'al' } }],
      }),
    ).toBe(true);
    expect(await client.getAliases()).toEqual({ aliases: [{ alias_name: 'al', collection_name: 'a' }] });

    const s = await client.createSnapshot('a', { wait: true });
    expect(s?.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(await client.listSnapshots('a')).toEqual([s]);
    expect(
      await client.recoverSnapshot('b', {
        location: `${emu.url}/collections/a/snapshots/${s!.name}`,
        priority: 'snapshot',
        checksum: s!.checksum,
      }),
    ).toBe(true);
    const a = await client.scroll('a', { with_vector: true });
    expect(await client.scroll('b', { with_vector: true })).toEqual(a);
    expect(await client.deleteSnapshot('a', s!.name)).toBe(true);
    expect(await client.deleteCollection('missing')).toBe(false);
    await expect(client.getCollection('missing')).rejects.toMatchObject({ status: 404 });
  });

  it('the official client refuses the 202 of wait=false (a client must handle it itself)', async () => {
    await expect(client.createSnapshot('a', { wait: false })).rejects.toThrow(/Unexpected Response: 202/);
  });
});
