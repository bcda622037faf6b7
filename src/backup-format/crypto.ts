import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ActionError, ManifestError } from '../core/errors.js';
import { advice, say, setting } from '../core/wording.js';
import { tap } from '../util/tap.js';
import type { ManifestCollection } from './manifest.js';

/**
 * Encryption at rest in the age format (https://age-encryption.org/v1), passphrase (scrypt) recipient:
 * authenticated (ChaCha20-Poly1305 in 64 KiB chunks), streamed, and readable by the `age` command line
 * tool (`age -d backup.snapshot.age`). Never a home-made format.
 *
 * The age library is loaded only when a key is given: it is a third of the bundle, and most runs do not
 * encrypt.
 */
export const ENCRYPTION_SCHEME = 'age-scrypt';
export const ENCRYPTED_EXTENSION = '.age';

export function encryptStream(passphrase: string) {
  return async function* encrypt(source: AsyncIterable<Buffer>): AsyncIterable<Uint8Array> {
    const { Encrypter } = await import('age-encryption');
    const encrypter = new Encrypter();
    encrypter.setPassphrase(passphrase);
    const sealed = await encrypter.encrypt(ReadableStream.from(source) as ReadableStream<Uint8Array>);
    yield* sealed as unknown as AsyncIterable<Uint8Array>;
  };
}

export function decryptStream(passphrase: string, file: string) {
  return async function* decrypt(source: AsyncIterable<Buffer>): AsyncIterable<Uint8Array> {
    const { Decrypter } = await import('age-encryption');
    const decrypter = new Decrypter();
    decrypter.addPassphrase(passphrase);
    let opened: AsyncIterable<Uint8Array>;
    try {
      opened = (await decrypter.decrypt(
        ReadableStream.from(source) as ReadableStream<Uint8Array>,
      )) as unknown as AsyncIterable<Uint8Array>;
    } catch (error) {
      const reason = (error as Error).message;
      const why = /passphrase|identity|no identity matched|incorrect/i.test(reason)
        ? say`the ${setting('encryption-key')} is not the one this backup was encrypted with`
        : [reason];
      throw new ActionError(
        say`Cannot decrypt ${file}: ${why}. Give the same ${setting('encryption-key')} the backup used.`,
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

/**
 * The snapshot files of a backup folder as Qdrant made them: the folder's own files, or (encrypted
 * backups) decrypted copies in `encrypted.tempDir`, each checked against the snapshot's SHA-256 in the manifest.
 * A missing or wrong key fails here, before any server is touched.
 */
export async function plaintextFiles(
  folder: string,
  collections: ManifestCollection[],
  encrypted?: { key: string | undefined; tempDir: string },
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  if (!encrypted) {
    for (const entry of collections) files.set(entry.name, path.join(folder, entry.file));
    return files;
  }
  const { key, tempDir } = encrypted;
  if (!key) {
    throw new ManifestError(
      say`This backup is encrypted (age); give the key it was made with in ${setting('encryption-key')}${advice('secret-example')}.`,
    );
  }
  for (const entry of collections) {
    const plain = path.join(tempDir, `${entry.file}.plain`);
    const hash = createHash('sha256');
    await pipeline(
      createReadStream(path.join(folder, entry.file)),
      decryptStream(key, entry.file),
      tap((chunk) => hash.update(chunk)),
      createWriteStream(plain),
    );
    const actual = hash.digest('hex');
    if (actual !== entry.snapshot_sha256) {
      throw new ManifestError(
        `${entry.file} decrypts to data with SHA-256 ${actual}; the manifest records ${entry.snapshot_sha256}. The backup is damaged: use another one.`,
      );
    }
    files.set(entry.name, plain);
  }
  return files;
}
