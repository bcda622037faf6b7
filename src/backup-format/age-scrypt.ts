import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import type { Identity, Recipient, Stanza } from 'age-encryption';

/**
 * age's passphrase (scrypt) recipient and identity, exactly as the spec defines them
 * (https://age-encryption.org/v1, "The scrypt recipient type"), on node:crypto's native scrypt. The age
 * library's own runs in JavaScript on the main thread: several times slower, and it blocks every transfer
 * while it runs; this one runs in libuv's thread pool. The library still writes and reads the files: these
 * only wrap and unwrap the 16-byte file key, and `age -d` reads what they write.
 */
const LABEL = 'age-encryption.org/v1/scrypt';
/** The age CLI's own work factor (2^18), and the most it accepts when decrypting (2^22). */
export const SCRYPT_LOG_N = 18;
const MAX_LOG_N = 22;
const ZERO_NONCE = Buffer.alloc(12);

function deriveKey(passphrase: string, salt: Buffer, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) =>
    scrypt(
      passphrase,
      Buffer.concat([Buffer.from(LABEL), salt]),
      32,
      { N, r: 8, p: 1, maxmem: 256 * N * 8 },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
}

function seal(key: Buffer, fileKey: Uint8Array): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 });
  return Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
}

function open(key: Buffer, body: Uint8Array): Uint8Array | null {
  if (body.length !== 32) return null;
  const decipher = createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 });
  decipher.setAuthTag(body.subarray(16));
  try {
    return Buffer.concat([decipher.update(body.subarray(0, 16)), decipher.final()]);
  } catch {
    return null; // another passphrase
  }
}

/** Wraps each file key with a passphrase: one scrypt derivation per file encrypted with it. */
export function scryptRecipient(
  passphrase: string,
  makeStanza: (args: string[], body: Uint8Array) => Stanza,
  logN = SCRYPT_LOG_N,
): Recipient {
  return {
    async wrapFileKey(fileKey) {
      const salt = randomBytes(16);
      const key = await deriveKey(passphrase, salt, logN);
      return [
        makeStanza(['scrypt', salt.toString('base64').replace(/=+$/, ''), String(logN)], seal(key, fileKey)),
      ];
    },
  };
}

/** Unwraps a file key sealed with a passphrase; null for files not sealed with one (or with another). */
export function scryptIdentity(passphrase: string): Identity {
  return {
    async unwrapFileKey(stanzas) {
      const stanza = stanzas.find((s) => s.args[0] === 'scrypt');
      if (!stanza) return null;
      // The spec: a scrypt stanza must be alone, or a file could be opened by a passphrase and a key at once.
      if (stanzas.length !== 1) throw new Error('the scrypt stanza is not the only one in the header');
      const [, saltText, logNText] = stanza.args;
      const salt = Buffer.from(saltText ?? '', 'base64');
      if (stanza.args.length !== 3 || salt.length !== 16 || !/^[1-9][0-9]*$/.test(logNText ?? '')) {
        throw new Error('invalid scrypt stanza');
      }
      const logN = Number(logNText);
      if (logN > MAX_LOG_N) throw new Error(`scrypt work factor 2^${logN} is too high`);
      return open(await deriveKey(passphrase, salt, logN), stanza.body);
    },
  };
}
