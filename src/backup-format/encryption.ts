import { readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { InputError, ManifestError } from '../core/errors.js';
import { advice, say, setting, subject } from '../core/wording.js';
import { scryptIdentity, scryptRecipient } from './age-scrypt.js';
import type { EncryptionScheme, Keys } from './crypto.js';

/** Where a passphrase-encrypted backup keeps its own identity, encrypted with the passphrase. */
export const KEY_FILE = 'key.age';

export interface EncryptionSettings {
  encryptionKey?: string;
  encryptionRecipients?: string[];
  encryptionIdentity?: string[];
}

/** How a backup's files are encrypted; `ready` settles once key.age is written (passphrase only). */
export interface FileEncryption {
  scheme: EncryptionScheme;
  recipients: string[];
  ready: Promise<void>;
}

/**
 * Backup: the recipients every file is encrypted to, checked before the first snapshot. With recipients,
 * the user's own (the backup job never holds a key that decrypts). With a passphrase, a random identity
 * made for this backup, stored in key.age encrypted with the passphrase: one scrypt derivation for the
 * whole backup, run in the thread pool while the snapshots are taken. Undefined when not encrypting.
 */
export async function prepareEncryption(
  folder: string,
  settings: EncryptionSettings,
): Promise<FileEncryption | undefined> {
  const recipients = settings.encryptionRecipients ?? [];
  if (recipients.length > 0) {
    const { Encrypter } = await import('age-encryption');
    for (const recipient of recipients) {
      try {
        new Encrypter().addRecipient(recipient);
      } catch (error) {
        throw new InputError(
          say`${subject('encryption-recipients')}: ${JSON.stringify(recipient)} is not an age recipient (${(error as Error).message}); give public keys as age-keygen prints them (age1...).`,
        );
      }
    }
    return { scheme: 'age-x25519', recipients, ready: Promise.resolve() };
  }
  if (settings.encryptionKey === undefined) return undefined;
  const age = await import('age-encryption');
  const identity = await age.generateX25519Identity();
  const ready = writeKeyFile(folder, identity, settings.encryptionKey);
  ready.catch(() => {}); // awaited by the backup before its manifest; not unhandled meanwhile
  return { scheme: 'age-scrypt-wrapped', recipients: [await age.identityToRecipient(identity)], ready };
}

async function writeKeyFile(folder: string, identity: string, passphrase: string): Promise<void> {
  const { Encrypter, Stanza } = await import('age-encryption');
  const encrypter = new Encrypter();
  encrypter.addRecipient(scryptRecipient(passphrase, (args, body) => new Stanza(args, body)));
  const sealed = await encrypter.encrypt(`# The identity that decrypts this backup's files.\n${identity}\n`);
  const file = path.join(folder, KEY_FILE);
  await writeFile(`${file}.partial`, sealed);
  await rename(`${file}.partial`, file);
}

/**
 * Restore: what opens the files of a backup encrypted with `scheme`, refusing (before any server is
 * touched) when the settings cannot: the wrong kind of key, or none.
 */
export async function openEncryption(
  folder: string,
  scheme: EncryptionScheme,
  settings: EncryptionSettings,
): Promise<Keys> {
  const passphrase = settings.encryptionKey;
  const identities = settings.encryptionIdentity ?? [];
  if (scheme === 'age-x25519') {
    if (identities.length > 0) return { identities, from: 'encryption-identity' };
    throw new ManifestError(
      say`This backup is encrypted to age recipients (public keys); give the matching identity (AGE-SECRET-KEY-1...) in ${setting('encryption-identity')}${advice('identity-example')}.${passphrase !== undefined ? say` A passphrase (${setting('encryption-key')}) cannot open it.` : ''}`,
    );
  }
  if (passphrase === undefined) {
    // The identity kept in key.age opens the files too: `age -d key.age` gives it.
    if (scheme === 'age-scrypt-wrapped' && identities.length > 0) {
      return { identities, from: 'encryption-identity' };
    }
    throw new ManifestError(
      say`This backup is encrypted with a passphrase (age); give it in ${setting('encryption-key')}${advice('secret-example')}.`,
    );
  }
  if (scheme === 'age-scrypt') return { passphrase, identities: [], from: 'encryption-key' };
  return { identities: [await readKeyFile(folder, passphrase)], from: 'encryption-key' };
}

async function readKeyFile(folder: string, passphrase: string): Promise<string> {
  const file = path.join(folder, KEY_FILE);
  const sealed = await readFile(file).catch(() => {
    throw new ManifestError(
      `The backup is missing ${KEY_FILE}, which holds the key of its files; the download is incomplete or the folder was altered. Use another backup.`,
    );
  });
  const { Decrypter } = await import('age-encryption');
  const decrypter = new Decrypter();
  decrypter.addIdentity(scryptIdentity(passphrase));
  let text: string;
  try {
    text = await decrypter.decrypt(sealed, 'text');
  } catch (error) {
    throw new ManifestError(
      /no identity matched|incorrect/i.test((error as Error).message)
        ? say`Cannot open ${KEY_FILE}: the ${setting('encryption-key')} is not the one this backup was encrypted with. Give the ${setting('encryption-key')} the backup was made with.`
        : [
            `Cannot open ${KEY_FILE}: ${(error as Error).message}. The file is damaged or was altered: use another backup.`,
          ],
      { cause: error },
    );
  }
  const identity = /^AGE-SECRET-KEY-1[0-9A-Z]+$/m.exec(text)?.[0];
  if (!identity) throw new ManifestError(`${KEY_FILE} holds no age identity; use another backup.`);
  return identity;
}
