import { generateX25519Identity } from 'age-encryption';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEY_FILE, openEncryption, prepareEncryption } from '../../src/backup-format/encryption.js';
import { backupFiles } from '../../src/backup-format/folder.js';
import { parseManifest } from '../../src/backup-format/manifest.js';
import { describeError } from '../../src/core/errors.js';
import { CLI_WORDING } from '../../src/cli/wording.js';

const SHA = 'b'.repeat(64);
function manifest(version: 1 | 2, encryption: unknown): string {
  const file = {
    file: 'p.snapshot.age',
    size: 1,
    sha256: SHA,
    snapshot_size: 1,
    snapshot_sha256: SHA,
    points: 1,
  };
  const collection =
    version === 1
      ? { name: 'p', ...file, config: {}, aliases: [], encrypted: encryption !== null }
      : {
          name: 'p',
          points: 1,
          aliases: [],
          config: { params: {} },
          payload_schema: null,
          sharding: { method: 'auto', shard_number: 1, replication_factor: 1, shard_keys: [] },
          level: 'collection',
          files: [file],
          fingerprint: null,
          written_during_backup: false,
        };
  return JSON.stringify({
    format: 'qdrant-snapshot-manifest',
    version,
    created_at: '2026-11-26T10:00:00.000Z',
    qdrant_version: '1.19.0',
    complete: true,
    encryption,
    ...(version === 2 ? { cluster: null } : {}),
    collections: [collection],
    failed: [],
  });
}

describe('manifest encryption schemes', () => {
  it.each(['age-x25519', 'age-scrypt-wrapped', 'age-scrypt', null])('version 2 reads %s', (scheme) => {
    expect(parseManifest(manifest(2, scheme)).encryption).toBe(scheme);
  });

  it('version 1 knew only age-scrypt; an unknown scheme is refused naming the known ones', () => {
    expect(parseManifest(manifest(1, 'age-scrypt')).encryption).toBe('age-scrypt');
    expect(() => parseManifest(manifest(1, 'age-x25519'))).toThrow(/encryption "age-x25519" is unknown/);
    expect(() => parseManifest(manifest(2, 'aes-gcm'))).toThrow(
      /expected null or one of "age-x25519", "age-scrypt-wrapped", "age-scrypt"/,
    );
  });

  it('a passphrase-encrypted backup carries key.age, before manifest.json', () => {
    expect(backupFiles(parseManifest(manifest(2, 'age-scrypt-wrapped')))).toEqual([
      'p.snapshot.age',
      KEY_FILE,
      'manifest.json',
    ]);
    expect(backupFiles(parseManifest(manifest(2, 'age-x25519')))).toEqual([
      'p.snapshot.age',
      'manifest.json',
    ]);
  });
});

describe('what opens a backup', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'schemes-'));
  });
  afterEach(() => rm(folder, { recursive: true, force: true }));

  const words = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      return describeError(error, CLI_WORDING);
    }
    throw new Error('expected a refusal');
  };

  it('recipients: the identity is needed, and a passphrase is said not to help', async () => {
    const identity = await generateX25519Identity();
    expect(await openEncryption(folder, 'age-x25519', { encryptionIdentity: [identity] })).toEqual({
      identities: [identity],
      from: 'encryption-identity',
    });
    expect(
      await words(openEncryption(folder, 'age-x25519', { encryptionKey: 'a-long-passphrase-123' })),
    ).toBe(
      'This backup is encrypted to age recipients (public keys); give the matching identity (AGE-SECRET-KEY-1...) in --encryption-identity (the key itself or a file holding it, as age-keygen writes; or QDRANT_SNAPSHOT_ENCRYPTION_IDENTITY). A passphrase (--encryption-key) cannot open it.',
    );
  });

  it('passphrase: key.age is written once and opened with it; the identity inside opens the files too', async () => {
    const prepared = await prepareEncryption(folder, { encryptionKey: 'a-long-passphrase-123' });
    expect(prepared?.scheme).toBe('age-scrypt-wrapped');
    await prepared!.ready;
    expect((await readFile(path.join(folder, KEY_FILE))).toString('latin1')).toMatch(/-> scrypt \S+ 18\n/);
    const keys = await openEncryption(folder, 'age-scrypt-wrapped', {
      encryptionKey: 'a-long-passphrase-123',
    });
    expect(keys.identities).toHaveLength(1);
    expect(keys.identities[0]).toMatch(/^AGE-SECRET-KEY-1/);
    expect(
      await words(openEncryption(folder, 'age-scrypt-wrapped', { encryptionKey: 'another-passphrase-456' })),
    ).toContain('Cannot open key.age: the --encryption-key is not the one this backup was encrypted with');
    expect(
      await openEncryption(folder, 'age-scrypt-wrapped', { encryptionIdentity: keys.identities }),
    ).toEqual({
      identities: keys.identities,
      from: 'encryption-identity',
    });
    await rm(path.join(folder, KEY_FILE));
    expect(
      await words(openEncryption(folder, 'age-scrypt-wrapped', { encryptionKey: 'a-long-passphrase-123' })),
    ).toContain('The backup is missing key.age');
  });

  it('recipients that are not age keys are refused before the first snapshot', async () => {
    expect(await words(prepareEncryption(folder, { encryptionRecipients: ['age1notakey'] }))).toMatch(
      /^--encryption-recipients: "age1notakey" is not an age recipient/,
    );
  });
});
