import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ActionError, ManifestError } from '../core/errors.js';
import { say, setting } from '../core/wording.js';
import { tap } from '../util/tap.js';
import { scryptIdentity } from './age-scrypt.js';
import type { ManifestFile } from './manifest.js';

/**
 * Encryption at rest in the age format (https://age-encryption.org/v1): authenticated (ChaCha20-Poly1305
 * in 64 KiB chunks), streamed, and readable by the `age` command line tool. Never a home-made format.
 * The schemes a manifest records (backup-format/encryption.ts chooses and opens them):
 * - 'age-x25519': every file encrypted to the user's age recipients (public keys): the backup job holds
 *   no key that decrypts; `age -d -i key.txt FILE`.
 * - 'age-scrypt-wrapped': every file encrypted to a random identity made for this backup, which is kept in
 *   key.age encrypted with the passphrase: one scrypt derivation per backup;
 *   `age -d -i <(age -d key.age) FILE`.
 * - 'age-scrypt': (release 1.0.0) every file encrypted with the passphrase itself; still read.
 *
 * The age library is loaded only when a backup is encrypted: it is a third of the bundle, and most runs
 * do not encrypt.
 */
export const ENCRYPTION_SCHEMES = ['age-x25519', 'age-scrypt-wrapped', 'age-scrypt'] as const;
export type EncryptionScheme = (typeof ENCRYPTION_SCHEMES)[number];
export const ENCRYPTED_EXTENSION = '.age';

/** What opens a backup's files, and the setting that supplied it (named when it does not fit). */
export interface Keys {
  passphrase?: string;
  identities: string[];
  from: 'encryption-key' | 'encryption-identity';
}

/** Encrypts a stream to age recipients (age1...). */
export function encryptStream(recipients: string[]) {
  return async function* encrypt(source: AsyncIterable<Buffer>): AsyncIterable<Uint8Array> {
    const { Encrypter } = await import('age-encryption');
    const encrypter = new Encrypter();
    for (const recipient of recipients) encrypter.addRecipient(recipient);
    const sealed = await encrypter.encrypt(ReadableStream.from(source) as ReadableStream<Uint8Array>);
    yield* sealed as unknown as AsyncIterable<Uint8Array>;
  };
}

export function decryptStream(keys: Keys, file: string) {
  return async function* decrypt(source: AsyncIterable<Buffer>): AsyncIterable<Uint8Array> {
    const { Decrypter } = await import('age-encryption');
    const decrypter = new Decrypter();
    if (keys.passphrase !== undefined) decrypter.addIdentity(scryptIdentity(keys.passphrase));
    for (const identity of keys.identities) decrypter.addIdentity(identity);
    let opened: AsyncIterable<Uint8Array>;
    try {
      opened = (await decrypter.decrypt(
        ReadableStream.from(source) as ReadableStream<Uint8Array>,
      )) as unknown as AsyncIterable<Uint8Array>;
    } catch (error) {
      const reason = (error as Error).message;
      const why = /passphrase|identity|no identity matched|incorrect/i.test(reason)
        ? keys.from === 'encryption-key'
          ? say`the ${setting('encryption-key')} is not the one this backup was encrypted with`
          : say`no identity in ${setting('encryption-identity')} matches a recipient this backup was encrypted to`
        : [reason];
      throw new ActionError(
        say`Cannot decrypt ${file}: ${why}. Give the ${setting(keys.from)} the backup was made for.`,
        { cause: error },
      );
    }
    try {
      yield* opened;
    } catch (error) {
      throw new ActionError(
        `${file} failed authentication while decrypting (${(error as Error).message}): the file is damaged or was altered. Use another backup.`,
        { cause: error },
      );
    }
  };
}

export interface Decryption {
  keys: Keys;
  /** Where a decrypted copy is kept while it is uploaded. */
  tempDir: string;
}

/**
 * Fails unless the key opens the backup (a missing or a wrong key), reading only the start of one file:
 * called before any server is touched, while each file is decrypted only when its turn comes.
 */
export async function checkKeyOpens(folder: string, file: ManifestFile, keys: Keys): Promise<void> {
  const stream = createReadStream(path.join(folder, file.file));
  try {
    for await (const chunk of decryptStream(keys, file.file)(stream)) {
      void chunk;
      break;
    }
  } finally {
    stream.destroy();
  }
}

/**
 * One snapshot file as Qdrant made it: the folder's own file, or (encrypted backups) a decrypted copy in
 * `encrypted.tempDir` checked against the snapshot's SHA-256, which `discard` removes. Decrypting one file
 * at a time bounds the temporary space by the largest file (times the concurrency), not the backup.
 */
export async function plaintextFile(
  folder: string,
  file: ManifestFile,
  encrypted?: Decryption,
): Promise<{ path: string; discard: () => Promise<void> }> {
  const stored = path.join(folder, file.file);
  if (!encrypted) return { path: stored, discard: async () => {} };
  const plain = path.join(encrypted.tempDir, `${file.file}.plain`);
  const discard = () => rm(plain, { force: true });
  const hash = createHash('sha256');
  try {
    await pipeline(
      createReadStream(stored),
      decryptStream(encrypted.keys, file.file),
      tap((chunk) => hash.update(chunk)),
      createWriteStream(plain),
    );
  } catch (error) {
    await discard();
    throw error;
  }
  const actual = hash.digest('hex');
  if (actual !== file.snapshot_sha256) {
    await discard();
    throw new ManifestError(
      `${file.file} decrypts to data with SHA-256 ${actual}; the manifest records ${file.snapshot_sha256}. The backup is damaged: use another one.`,
    );
  }
  return { path: plain, discard };
}
