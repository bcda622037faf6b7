import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ActionError, ManifestError } from '../core/errors.js';
import { advice, say, setting } from '../core/wording.js';
import { tap } from '../util/tap.js';
import type { ManifestFile } from './manifest.js';

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

export interface Decryption {
  key: string | undefined;
  /** Where a decrypted copy is kept while it is uploaded. */
  tempDir: string;
}

function requireKey(key: string | undefined): string {
  if (!key) {
    throw new ManifestError(
      say`This backup is encrypted (age); give the key it was made with in ${setting('encryption-key')}${advice('secret-example')}.`,
    );
  }
  return key;
}

/**
 * Fails unless the key opens the backup (a missing or a wrong key), reading only the start of one file:
 * called before any server is touched, while each file is decrypted only when its turn comes.
 */
export async function checkKeyOpens(
  folder: string,
  file: ManifestFile,
  key: string | undefined,
): Promise<void> {
  const stream = createReadStream(path.join(folder, file.file));
  try {
    for await (const chunk of decryptStream(requireKey(key), file.file)(stream)) {
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
      decryptStream(requireKey(encrypted.key), file.file),
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
