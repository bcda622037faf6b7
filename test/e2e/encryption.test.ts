import { Decrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAction } from '../helpers/run-action.js';
import { allPoints, watchChanges, type Target } from '../helpers/target.js';
import { startSeededWorld, type SeededWorld } from '../helpers/world.js';

const run = promisify(execFile);
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const PASSPHRASE = 'enc-Passphrase-7f3a9c1e5b2d4f60';
/** The age command line tool (Debian package age), and script(1) to give it the terminal it reads a passphrase from. */
const AGE_CLI = spawnSync('age', ['--version']).status === 0;
const SCRIPT = spawnSync('script', ['--version']).status === 0;

let world: SeededWorld;
let target: Target;
let identity: string;
let recipient: string;
let work: string;

beforeAll(async () => {
  identity = await generateX25519Identity();
  recipient = await identityToRecipient(identity);
});

beforeEach(async () => {
  world = await startSeededWorld();
  target = world.target;
  work = await mkdtemp(path.join(os.tmpdir(), 'encryption-'));
});
afterEach(() => world.close());

function act(inputs: Record<string, string>) {
  return runAction(
    {
      url: target.url,
      'api-key': target.apiKey ?? '',
      collections: `${target.prefix}*`,
      artifact: 'false',
      ...inputs,
    },
    { env: world.artifacts.env({ runId: 7100 }) },
  );
}

async function dropSeeded() {
  const { seeded } = world;
  await target.call('POST', '/collections/aliases', {
    actions: [{ delete_alias: { alias_name: seeded.alias } }],
  });
  for (const name of Object.values(seeded.names)) await target.call('DELETE', `/collections/${name}`);
}

interface Entry {
  files: { file: string; sha256: string; snapshot_sha256: string; snapshot_size: number }[];
}

async function manifestOf(dir: string) {
  return JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as {
    encryption: string;
    collections: Entry[];
  };
}

/** Decrypts with the age CLI, as README says: `age -d -i IDENTITY_FILE FILE`. */
async function ageDecrypt(identityFile: string, file: string): Promise<Buffer> {
  const out = path.join(work, `${path.basename(file)}.plain`);
  await run('age', ['-d', '-i', identityFile, '-o', out, file]);
  return readFile(out);
}

describe('encryption to age recipients (public keys)', () => {
  it('backs up with recipients only, restores with the identity, and every file decrypts with the identity', async () => {
    const before = await allPoints(target, world.seeded.names.hybrid);
    const dir = path.join(work, 'backup');
    // A second recipient: a key held elsewhere (the backup job holds no identity at all).
    const other = await identityToRecipient(await generateX25519Identity());
    const backup = await act({
      mode: 'backup',
      path: dir,
      'encryption-recipients': `${recipient}\n${other}`,
    });
    expect(backup.errors).toEqual([]);
    const manifest = await manifestOf(dir);
    expect(manifest.encryption).toBe('age-x25519');
    expect(await readdir(dir)).not.toContain('key.age');
    const identityFile = path.join(work, 'key.txt');
    await writeFile(identityFile, `# created by the test\n${identity}\n`);
    for (const c of manifest.collections) {
      const stored = await readFile(path.join(dir, c.files[0]!.file));
      expect(sha256(stored)).toBe(c.files[0]!.sha256);
      const decrypter = new Decrypter();
      decrypter.addIdentity(identity);
      expect(sha256(await decrypter.decrypt(stored))).toBe(c.files[0]!.snapshot_sha256);
      if (AGE_CLI) {
        const plain = await ageDecrypt(identityFile, path.join(dir, c.files[0]!.file));
        expect(sha256(plain)).toBe(c.files[0]!.snapshot_sha256);
      }
    }
    await dropSeeded();
    const restore = await act({
      mode: 'restore',
      path: dir,
      'encryption-identity': `# comment\n${identity}\n`,
    });
    expect(restore.errors).toEqual([]);
    expect(restore.outputs.verified).toBe('true');
    expect(await allPoints(target, world.seeded.names.hybrid)).toEqual(before);
    // The identity is masked (the runner hides it everywhere) and printed nowhere else.
    expect(restore.stdout).toContain(`::add-mask::${identity}`);
    const printed = restore.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::'));
    expect(printed.join('\n')).not.toContain(identity);
    expect(restore.summary).not.toContain(identity);
  });

  it('fails before touching the server with a wrong identity, with none, or with a passphrase instead', async () => {
    const dir = path.join(work, 'backup');
    expect((await act({ mode: 'backup', path: dir, 'encryption-recipients': recipient })).code).toBe(0);
    const watch = await watchChanges(target);
    const start = target.emulator?.requests.length ?? 0;
    const wrong = await act({
      mode: 'restore',
      path: dir,
      'if-exists': 'overwrite',
      'encryption-identity': await generateX25519Identity(),
    });
    expect(wrong.code).toBe(1);
    expect(wrong.errors[0]).toContain(
      "no identity in 'encryption-identity' matches a recipient this backup was encrypted to",
    );
    const none = await act({ mode: 'restore', path: dir, 'if-exists': 'overwrite' });
    expect(none.code).toBe(1);
    expect(none.errors[0]).toContain(
      "This backup is encrypted to age recipients (public keys); give the matching identity (AGE-SECRET-KEY-1...) in 'encryption-identity'",
    );
    const passphrase = await act({
      mode: 'restore',
      path: dir,
      'if-exists': 'overwrite',
      'encryption-key': PASSPHRASE,
    });
    expect(passphrase.code).toBe(1);
    expect(passphrase.errors[0]).toContain("A passphrase ('encryption-key') cannot open it.");
    if (target.emulator) expect(target.emulator.requests.length).toBe(start);
    expect(await watch.changes()).toEqual([]);
  });

  it('refuses a recipient that is not an age public key, and a passphrase beside recipients', async () => {
    const bad = await act({
      mode: 'backup',
      path: path.join(work, 'b1'),
      'encryption-recipients': 'ssh-ed25519 AAAA',
    });
    expect(bad.code).toBe(1);
    expect(bad.errors[0]).toMatch(
      /Input 'encryption-recipients' got "ssh-ed25519 AAAA", which is not an age public key/,
    );
    const both = await act({
      mode: 'backup',
      path: path.join(work, 'b2'),
      'encryption-recipients': recipient,
      'encryption-key': PASSPHRASE,
    });
    expect(both.code).toBe(1);
    expect(both.errors[0]).toContain("'encryption-recipients' both encrypt the backup; give one of them");
  });
});

describe('encryption with a passphrase (one wrapped identity per backup)', () => {
  it('writes key.age once; every file opens with the identity in it, by the age library and `age -d -i <(age -d key.age)`', async () => {
    const dir = path.join(work, 'backup');
    const backup = await act({ mode: 'backup', path: dir, 'encryption-key': PASSPHRASE });
    expect(backup.errors).toEqual([]);
    const manifest = await manifestOf(dir);
    expect(manifest.encryption).toBe('age-scrypt-wrapped');
    const sealedKey = await readFile(path.join(dir, 'key.age'));
    // One scrypt stanza, in key.age only; the snapshot files carry an X25519 stanza.
    expect(sealedKey.toString('latin1')).toMatch(/^age-encryption\.org\/v1\n-> scrypt \S+ 18\n/);
    const decrypter = new Decrypter();
    decrypter.addPassphrase(PASSPHRASE);
    const keyText = await decrypter.decrypt(sealedKey, 'text');
    const wrapped = /^AGE-SECRET-KEY-1[0-9A-Z]+$/m.exec(keyText)![0];
    const identityFile = path.join(work, 'wrapped.txt');
    await writeFile(identityFile, keyText);
    for (const c of manifest.collections) {
      const stored = await readFile(path.join(dir, c.files[0]!.file));
      expect(stored.toString('latin1')).toMatch(/^age-encryption\.org\/v1\n-> X25519 /);
      const files = new Decrypter();
      files.addIdentity(wrapped);
      expect(sha256(await files.decrypt(stored))).toBe(c.files[0]!.snapshot_sha256);
      if (AGE_CLI) {
        const plain = await ageDecrypt(identityFile, path.join(dir, c.files[0]!.file));
        expect(sha256(plain)).toBe(c.files[0]!.snapshot_sha256);
      }
    }
    if (AGE_CLI && SCRIPT) {
      // age reads a passphrase from the terminal only: script(1) gives it one.
      const out = path.join(work, 'from-age-cli.txt');
      const child = spawnSync(
        'script',
        ['-qec', `age -d -o '${out}' '${path.join(dir, 'key.age')}'`, '/dev/null'],
        {
          input: `${PASSPHRASE}\n`,
          timeout: 60_000,
        },
      );
      expect(child.status).toBe(0);
      expect(await readFile(out, 'utf8')).toBe(keyText);
    }
  });

  it('restores with the passphrase or with the identity from key.age; a wrong passphrase fails before the server is touched', async () => {
    const before = await allPoints(target, world.seeded.names.dense);
    const dir = path.join(work, 'backup');
    expect((await act({ mode: 'backup', path: dir, 'encryption-key': PASSPHRASE })).code).toBe(0);
    const watch = await watchChanges(target);
    const wrong = await act({
      mode: 'restore',
      path: dir,
      'if-exists': 'overwrite',
      'encryption-key': 'not-the-right-passphrase',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.errors[0]).toContain(
      "Cannot open key.age: the 'encryption-key' is not the one this backup was encrypted with",
    );
    const missing = await act({ mode: 'restore', path: dir, 'if-exists': 'overwrite' });
    expect(missing.code).toBe(1);
    expect(missing.errors[0]).toContain(
      "This backup is encrypted with a passphrase (age); give it in 'encryption-key'",
    );
    expect(await watch.changes()).toEqual([]);

    await dropSeeded();
    const restore = await act({ mode: 'restore', path: dir, 'encryption-key': PASSPHRASE });
    expect(restore.errors).toEqual([]);
    expect(restore.outputs.verified).toBe('true');
    expect(await allPoints(target, world.seeded.names.dense)).toEqual(before);

    const keyDecrypter = new Decrypter();
    keyDecrypter.addPassphrase(PASSPHRASE);
    const keyText = await keyDecrypter.decrypt(await readFile(path.join(dir, 'key.age')), 'text');
    const byIdentity = await act({
      mode: 'restore',
      path: dir,
      'if-exists': 'overwrite',
      'encryption-identity': keyText,
    });
    expect(byIdentity.errors).toEqual([]);
    expect(byIdentity.outputs.verified).toBe('true');
  });
});
