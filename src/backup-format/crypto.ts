import { ActionError } from '../core/errors.js';

/**
 * Encryption at rest in the age format (https://age-encryption.org/v1), passphrase (scrypt) recipient:
 * authenticated (ChaCha20-Poly1305 in 64 KiB chunks), streamed, and readable by the `age` command line
 * tool (`age -d backup.snapshot.age`). Never a home-made format.
 *
 * The age library is loaded only when a key is given: it is a third of the bundle, and most runs do not
 * encrypt (bench/: 10 MiB less peak RSS on Node 20).
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
      throw new ActionError(
        `Cannot decrypt ${file}: ${/passphrase|identity|no identity matched|incorrect/i.test((error as Error).message) ? "the 'encryption-key' is not the one this backup was encrypted with" : (error as Error).message}. Give the same 'encryption-key' the backup step used.`,
        { cause: error },
      );
    }
    try {
      yield* opened;
    } catch (error) {
      throw new ActionError(
        `${file} failed authentication while decrypting (${(error as Error).message}): the file is damaged or was altered. Use another backup.`,
        {
          cause: error,
        },
      );
    }
  };
}
