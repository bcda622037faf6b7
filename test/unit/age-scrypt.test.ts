import { Decrypter, Encrypter, Stanza } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { scryptIdentity, scryptRecipient } from '../../src/backup-format/age-scrypt.js';

// The native scrypt stanza against the age library's own (an independent implementation of the spec).
// A low work factor keeps the test quick; the format is the same at any factor.
const PASSPHRASE = 'correct horse battery staple 42';
const stanza = (args: string[], body: Uint8Array) => new Stanza(args, body);

describe('age scrypt recipient and identity on node:crypto', () => {
  it('writes files the age library opens with the passphrase', async () => {
    const encrypter = new Encrypter();
    encrypter.addRecipient(scryptRecipient(PASSPHRASE, stanza, 10));
    const sealed = await encrypter.encrypt('the identity');
    expect(Buffer.from(sealed).toString('latin1')).toMatch(/^age-encryption\.org\/v1\n-> scrypt \S{22} 10\n/);
    const decrypter = new Decrypter();
    decrypter.addPassphrase(PASSPHRASE);
    expect(await decrypter.decrypt(sealed, 'text')).toBe('the identity');
    const wrong = new Decrypter();
    wrong.addPassphrase('another passphrase entirely');
    await expect(wrong.decrypt(sealed, 'text')).rejects.toThrow();
  });

  it("opens the age library's passphrase files, and refuses another passphrase", async () => {
    const encrypter = new Encrypter();
    encrypter.setPassphrase(PASSPHRASE);
    encrypter.setScryptWorkFactor(10);
    const sealed = await encrypter.encrypt('written by the library');
    const decrypter = new Decrypter();
    decrypter.addIdentity(scryptIdentity(PASSPHRASE));
    expect(await decrypter.decrypt(sealed, 'text')).toBe('written by the library');
    const wrong = new Decrypter();
    wrong.addIdentity(scryptIdentity('another passphrase entirely'));
    await expect(wrong.decrypt(sealed, 'text')).rejects.toThrow(/no identity matched/);
  });

  it('refuses a scrypt stanza beside another one, as the spec requires', async () => {
    const identity = scryptIdentity(PASSPHRASE);
    const body = new Uint8Array(32);
    await expect(
      identity.unwrapFileKey([
        stanza(['scrypt', 'AAAAAAAAAAAAAAAAAAAAAA', '10'], body),
        stanza(['X25519', 'x'], body),
      ]),
    ).rejects.toThrow(/not the only one/);
    expect(await identity.unwrapFileKey([stanza(['X25519', 'x'], body)])).toBeNull();
  });
});
